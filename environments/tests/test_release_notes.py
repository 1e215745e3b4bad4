"""Release notes from a sample staging manifest and the previous release's: model version, gate metrics
against the previous champion, query changes, changed asset versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from environments.deploy.release import new_release, with_deployment
from environments.deploy.release_notes import release_notes

SAMPLE = Path(__file__).parent / "data" / "release-staging-sample.json"
QUERY_DIFF = """diff --git a/streaming/templates/asa/scoring.asaql.j2 b/streaming/templates/asa/scoring.asaql.j2
-WHERE amount > 0
+WHERE amount >= 0
"""


def _sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def _previous(model_version: str = "5", **metrics: float) -> dict[str, Any]:
    sample = _sample()
    components = {**sample["components"], "streamscore_train": "0a0a0a0a"}
    assets = {"environments": sample["environments"], "components": components}
    model = {
        "name": "card-fraud",
        "version": model_version,
        "uri": f"azureml://registries/sscore-registry/models/card-fraud/versions/{model_version}",
        "metrics": metrics or {"roc_auc": 0.9489, "average_precision": 0.8201, "log_loss": 0.1102},
    }
    release = new_release(assets, model, "1111111111111111111111111111111111111111")
    return with_deployment(with_deployment(release, "dev"), "staging")


def test_notes_name_the_model_its_gate_metrics_against_the_previous_champion_and_the_query_diff() -> None:
    notes = release_notes("v1.3.0", _sample(), "v1.2.0", _previous(), QUERY_DIFF, "roc_auc")
    assert notes.startswith("# v1.3.0\n")
    assert "`card-fraud` version 7" in notes and "replaces version 5 of v1.2.0" in notes
    assert "| metric | v7 (this release) | v5 (previous champion) | change |" in notes
    assert "| **roc_auc** (gate's primary metric) | 0.9612 | 0.9489 | +0.0123 |" in notes
    assert "| average_precision | 0.8125 | 0.8201 | -0.0076 |" in notes
    assert "```diff\n" + QUERY_DIFF.rstrip("\n") + "\n```" in notes
    assert "## Stream Analytics query changes since v1.2.0" in notes
    assert "deployed and smoke-tested in: dev, staging" in notes
    assert "| component | streamscore_train | 0a0a0a0a | 9c0e11d2 |" in notes
    changes = notes.split("## Azure ML asset versions changed", 1)[1].split("## Release manifest", 1)[0]
    assert "streamscore_evaluate" not in changes, "unchanged versions are not listed"


def test_an_unchanged_query_and_model_are_said_so() -> None:
    previous = _previous(model_version="7", roc_auc=0.9612, average_precision=0.8125, log_loss=0.1044)
    notes = release_notes("v1.3.1", _sample(), "v1.3.0", previous, "", "roc_auc")
    assert "version 7, unchanged since v1.3.0" in notes
    assert "No change to the Stream Analytics query since v1.3.0." in notes
    assert "| **roc_auc** (gate's primary metric) | 0.9612 | 0.9612 | +0.0000 |" in notes


def test_the_first_release_has_no_champion_to_compare_with() -> None:
    notes = release_notes("v1.0.0", _sample(), None, None, "", "average_precision")
    assert "First release: there is no previous champion to compare with." in notes
    assert "| **average_precision** (gate's primary metric) | 0.8125 |" in notes
    assert "## Stream Analytics query changes (first release)" in notes
    assert "asset versions changed" not in notes


def test_a_metric_only_one_side_has_is_shown_as_missing() -> None:
    previous = _previous(roc_auc=0.95)
    notes = release_notes("v1.3.0", _sample(), "v1.2.0", previous, "", "roc_auc")
    assert "| log_loss | 0.1044 | n/a | n/a |" in notes


def test_the_notes_carry_the_manifest_prod_deploys() -> None:
    """On the release itself, not as an asset: an immutable release refuses assets after publication."""
    notes = release_notes("v1.3.0", _sample(), "v1.2.0", _previous(), QUERY_DIFF, "roc_auc")
    block = notes.split("## Release manifest\n", 1)[1]
    assert "`refs/notes/streamscore-staging-releases`" in block
    embedded = block.split("```json\n", 1)[1].split("\n```", 1)[0]
    assert json.loads(embedded) == _sample()
