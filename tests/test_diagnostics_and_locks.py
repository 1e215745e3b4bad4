"""Logs for every resource that can send them, locks on prod's stateful resources; computed from the
rendered templates of dev, staging and prod."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from environments.arm import validate_template
from environments.arm.scopes import resource_path
from environments.arm.validate import find_templates
from environments.loader import load_environment
from environments.naming import resource_names
from environments.render import render_environment

AZURE = ("dev", "staging", "prod")
DIAGNOSTIC_SETTING = "Microsoft.Insights/diagnosticSettings"
LOCK = "Microsoft.Authorization/locks"
# Resource types that send resource logs or platform metrics through a diagnostic setting.
DIAGNOSED = {
    "Microsoft.OperationalInsights/workspaces",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.Storage/storageAccounts/blobServices",
    "Microsoft.KeyVault/vaults",
    "Microsoft.EventHub/namespaces",
    "Microsoft.StreamAnalytics/streamingjobs",
    "Microsoft.Logic/workflows",
    "Microsoft.ContainerRegistry/registries",
    "Microsoft.MachineLearningServices/workspaces",
    "Microsoft.Network/virtualNetworks",
    "Microsoft.Network/networkSecurityGroups",
}
# Every other rendered type, and why it has no diagnostic setting of its own.
NOT_DIAGNOSED = {
    "Microsoft.Insights/components": "workspace-based: its telemetry is already stored in the Log Analytics workspace",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "no diagnostic settings; sign-ins are in Entra ID logs",
    "Microsoft.Insights/workbooks": "no diagnostic settings: a saved dashboard definition, changes are in the Activity log",
    "Microsoft.Authorization/roleAssignments": "no diagnostic settings; changes are in the Activity log",
    "Microsoft.Storage/storageAccounts/blobServices/containers": "logged by the blob service's setting",
    "Microsoft.EventHub/namespaces/eventhubs": "logged by the namespace's setting",
    "Microsoft.KeyVault/vaults/secrets": "logged by the vault's setting",
    "Microsoft.EventHub/namespaces/eventhubs/consumergroups": "logged by the namespace's setting",
    "Microsoft.Web/connections": "API connections support no diagnostic settings",
    "Microsoft.Insights/actionGroups": "no diagnostic settings; notifications are in the Activity log",
    "Microsoft.Insights/scheduledQueryRules": "no diagnostic settings; firings are in the Activity log",
    "Microsoft.MachineLearningServices/workspaces/computes": "logged by the workspace's setting",
    "Microsoft.MachineLearningServices/registries": "shared by every environment, created by one; out of an environment's workspace",
    "Microsoft.Network/privateEndpoints": "no resource logs; its traffic is a platform metric of the endpoint",
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups": "a DNS registration of its endpoint; no logs",
    "Microsoft.Network/privateDnsZones": "no resource logs; record changes are in the Activity log",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks": "a link of its zone; no logs",
    "Microsoft.StreamAnalytics/clusters": "its job logs through the job's setting; capacity is a platform metric",
    "Microsoft.StreamAnalytics/clusters/privateEndpoints": "a connection of the cluster; no logs",
    DIAGNOSTIC_SETTING: "itself",
    LOCK: "itself",
}
STATEFUL = {
    "Microsoft.OperationalInsights/workspaces",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.KeyVault/vaults",
    "Microsoft.EventHub/namespaces",
}
# Not locked: the Azure ML workspace. A lock covers child resources, and the endpoint rollout deletes the
# previous deployment (ml/serving/rollout.py); models live in the shared registry.


def _flat(resources: list[dict[str, Any]], parent: str = "", parent_name: str = "") -> list[tuple[str, str]]:
    """(full type, resource path) of every resource, nested ones included."""
    found = []
    for resource in resources:
        short = resource["type"]
        full = f"{parent}/{short}" if parent else short
        name = str(resource["name"])
        name = f"{parent_name}/{name}" if parent_name else name
        if name.startswith("[format("):
            # The format's arguments: quoted literals as written, an expression (a copy loop's name) as is.
            arguments = re.findall(r"'([^']*)'|([^,\s][^,]*)", name[name.index(",") + 1 : -2])
            name = "/".join(literal or expression.strip() for literal, expression in arguments)
        provider, *types = full.split("/")
        names = name.split("/")
        path = "/".join([provider, *(p for pair in zip(types, names, strict=False) for p in pair)])
        found.append((full, path))
        found.extend(_flat(resource.get("resources", []), full, name))
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, tuple[dict, dict]]]:
    result = {}
    for env in AZURE:
        out = tmp_path_factory.mktemp(env)
        render_environment(env, out=out)
        templates = {}
        for path, template in find_templates(out):
            parameters = path.with_name(path.stem + ".parameters.json")
            values = (
                json.loads(parameters.read_text(encoding="utf-8"))["parameters"]
                if parameters.is_file()
                else {}
            )
            templates[path.relative_to(out).as_posix()] = (template, values)
        result[env] = templates
    return result


def _by_type(templates: dict[str, tuple[dict, dict]], wanted: str) -> list[tuple[str, dict, dict, dict]]:
    return [
        (path, resource, template, values)
        for path, (template, values) in templates.items()
        for resource in template["resources"]
        if resource["type"] == wanted
    ]


@pytest.mark.parametrize("env", AZURE)
def test_every_resource_that_can_log_sends_to_the_environment_workspace(rendered, env: str) -> None:
    templates = rendered[env]
    workspace = resource_names(load_environment(env)).log_analytics
    settings = {}
    for path, resource, template, _ in _by_type(templates, DIAGNOSTIC_SETTING):
        scope = resource_path(resource["scope"], template.get("variables", {}))
        assert workspace in resource["properties"]["workspaceId"], f"{path}: {scope} logs elsewhere"
        assert resource["properties"]["logs"] or resource["properties"]["metrics"], (
            f"{path}: {scope} sends nothing"
        )
        settings[scope] = resource
    resources = [item for template, _ in templates.values() for item in _flat(template["resources"])]
    unknown = {t for t, _ in resources} - DIAGNOSED - set(NOT_DIAGNOSED)
    assert not unknown, f"{env}: decide whether these types get a diagnostic setting: {sorted(unknown)}"
    missing = [path for full, path in resources if full in DIAGNOSED and path not in settings]
    assert not missing, f"{env}: no diagnostic setting for {missing}"


@pytest.mark.parametrize("env", AZURE)
def test_prod_locks_its_stateful_resources_and_only_prod(rendered, env: str) -> None:
    templates = rendered[env]
    locked = set()
    for path, resource, template, values in _by_type(templates, LOCK):
        assert resource["properties"]["level"] == "CanNotDelete"
        condition = resource["condition"]
        assert condition == "[parameters('lockStatefulResources')]", path
        if values["lockStatefulResources"]["value"]:
            locked.add(resource_path(resource["scope"], template.get("variables", {})).rsplit("/", 1)[0])
    resources = [item for template, _ in templates.values() for item in _flat(template["resources"])]
    stateful = {path.rsplit("/", 1)[0] for full, path in resources if full in STATEFUL}
    assert locked == (stateful if env == "prod" else set())


def test_a_misspelled_diagnostic_setting_is_refused(rendered) -> None:
    template, _ = rendered["dev"]["environments/arm/shared-infra.json"]
    broken = json.loads(json.dumps(template))
    setting = next(r for r in broken["resources"] if r["type"] == DIAGNOSTIC_SETTING)
    setting["properties"]["workspaceID"] = setting["properties"].pop("workspaceId")
    problems = validate_template(broken)
    assert any("workspaceID" in problem for problem in problems), problems
    lock = next(r for r in broken["resources"] if r["type"] == LOCK)
    lock["properties"]["level"] = "DoNotDelete"
    assert any("DoNotDelete" in problem for problem in validate_template(broken))
