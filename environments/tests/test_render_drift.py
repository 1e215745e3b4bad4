"""What a merge changes in the rendered files, by resource: a pull request's job summary names the ARM
resources, parameters and files that differ from main's rendering, and nothing else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from environments.render import render_environment
from environments.render_drift import Change, compare_trees, drift_markdown
from environments.render_drift_command import render_drift

TEMPLATE = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMETERS = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"


def _template(*resources: dict, **sections: dict) -> str:
    return json.dumps(
        {"$schema": TEMPLATE, "contentVersion": "1.0.0.0", **sections, "resources": list(resources)}
    )


def _hub(name: str, partitions: int = 4, **extra: object) -> dict:
    return {
        "type": "Microsoft.EventHub/namespaces/eventhubs",
        "name": name,
        "properties": {"partitionCount": partitions},
        **extra,
    }


def test_templates_are_compared_resource_by_resource() -> None:
    base = {
        "dev/streaming/arm/event-hubs.json": _template(
            _hub("ns/transactions"), _hub("ns/scored"), parameters={"a": {}}
        ),
        "dev/streaming/arm/event-hubs.parameters.json": json.dumps(
            {
                "$schema": PARAMETERS,
                "parameters": {"location": {"value": "westeurope"}, "sku": {"value": "Standard"}},
            }
        ),
        "dev/streaming/asa/scoring.asaql": "SELECT 1",
        "dev/ml/azureml/data/old.yml": "name: old",
        "prod/streaming/asa/scoring.asaql": "SELECT 1",
    }
    head = {
        **base,
        "dev/streaming/arm/event-hubs.json": _template(
            _hub("ns/transactions", 8), _hub("ns/dead"), parameters={"a": {}}
        ),
        "dev/streaming/arm/event-hubs.parameters.json": json.dumps(
            {
                "$schema": PARAMETERS,
                "parameters": {"location": {"value": "northeurope"}, "sku": {"value": "Standard"}},
            }
        ),
        "dev/streaming/asa/scoring.asaql": "SELECT 2",
        "dev/monitoring/arm/new.json": _template(_hub("ns/new")),
    }
    del head["dev/ml/azureml/data/old.yml"]
    assert compare_trees(base, head) == [
        Change("dev", "ml/azureml/data/old.yml", "(whole file)", "removed"),
        Change("dev", "monitoring/arm/new.json", "Microsoft.EventHub/namespaces/eventhubs ns/new", "added"),
        Change(
            "dev", "streaming/arm/event-hubs.json", "Microsoft.EventHub/namespaces/eventhubs ns/dead", "added"
        ),
        Change(
            "dev",
            "streaming/arm/event-hubs.json",
            "Microsoft.EventHub/namespaces/eventhubs ns/scored",
            "removed",
        ),
        Change(
            "dev",
            "streaming/arm/event-hubs.json",
            "Microsoft.EventHub/namespaces/eventhubs ns/transactions",
            "changed",
        ),
        Change("dev", "streaming/arm/event-hubs.parameters.json", "parameter location", "changed"),
        Change("dev", "streaming/asa/scoring.asaql", "(whole file)", "changed"),
    ]


def test_a_child_or_nested_deployment_change_names_the_child_not_its_parent() -> None:
    parent = {"type": "Microsoft.Storage/storageAccounts", "name": "st", "properties": {}}
    nested = {
        "type": "Microsoft.Resources/deployments",
        "name": "inner",
        "properties": {"mode": "Incremental", "template": {"resources": [_hub("ns/x")]}},
    }
    base = {"dev/a.json": _template({**parent, "resources": [_hub("ns/child")]}, nested)}
    changed_nested = {
        **nested,
        "properties": {**nested["properties"], "template": {"resources": [_hub("ns/x", 2)]}},
    }
    head = {"dev/a.json": _template({**parent, "resources": [_hub("ns/child", 9)]}, changed_nested)}
    assert [(c.resource, c.change) for c in compare_trees(base, head)] == [
        ("Microsoft.Resources/deployments inner / Microsoft.EventHub/namespaces/eventhubs ns/x", "changed"),
        (
            "Microsoft.Storage/storageAccounts st / Microsoft.EventHub/namespaces/eventhubs ns/child",
            "changed",
        ),
    ]


def test_the_summary_has_a_table_per_environment_and_says_when_nothing_changes() -> None:
    changes = [Change("dev", "streaming/asa/scoring.asaql", "(whole file)", "changed")]
    text = drift_markdown(changes, ["dev", "prod"])
    assert "#### dev: 1 change\n\n| file | resource | change |\n|---|---|---|\n" in text
    assert "| `streaming/asa/scoring.asaql` | `(whole file)` | changed |" in text
    assert "#### prod: 0 changes\n\nNo rendered file changes." in text


def test_real_renderings_differ_only_where_the_branch_changed_them(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    render_environment("dev", out=base / "dev")
    shutil.copytree(base, head)
    hubs = head / "dev" / "streaming" / "arm" / "event-hubs.json"
    template = json.loads(hubs.read_text(encoding="utf-8"))
    hub = next(r for r in template["resources"] if r["name"].endswith("/transactions"))
    hub["properties"]["partitionCount"] = 32
    hubs.write_text(json.dumps(template), encoding="utf-8")
    (head / "dev" / "state").mkdir()
    (head / "dev" / "state" / "deployed.json").write_text("{}", encoding="utf-8")  # deploy state: ignored
    (head / "dev" / "release.json").write_text("{}", encoding="utf-8")  # a deploy's output: ignored
    summary = tmp_path / "summary.md"
    text = render_drift(base, head, summary=summary, environments=["dev"])
    assert summary.read_text(encoding="utf-8") == text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows == [
        f"| `streaming/arm/event-hubs.json` | `Microsoft.EventHub/namespaces/eventhubs {hub['name']}` | changed |"
    ]
    assert "No rendered file changes." in render_drift(base, base, environments=["dev"])


def test_extension_resources_of_the_same_name_are_told_apart_by_scope() -> None:
    lock = {
        "type": "Microsoft.Authorization/locks",
        "name": "do-not-delete",
        "properties": {"level": "CanNotDelete"},
    }
    base = {"prod/a.json": _template({**lock, "scope": "vaults/kv"}, {**lock, "scope": "storageAccounts/st"})}
    head = {"prod/a.json": _template({**lock, "scope": "vaults/kv"})}
    assert [(c.resource, c.change) for c in compare_trees(base, head)] == [
        ("Microsoft.Authorization/locks do-not-delete on storageAccounts/st", "removed")
    ]
