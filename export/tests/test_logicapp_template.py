"""The Logic App template renders per Azure environment, validates against the ARM schemas, and runs
the same KQL file as the Python exporter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from environments.arm import validate_directory, validate_template
from environments.loader import load_environment
from environments.render import render_environment
from export.query_text import QUERY_FILE, inference_query
from export.sources.log_analytics import build_request

AZURE_ENVIRONMENTS = ["dev", "staging", "prod"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folders = {}
    for name in AZURE_ENVIRONMENTS:
        out = tmp_path_factory.mktemp(name)
        render_environment(name, out=out)
        folders[name] = out / "export" / "arm"
    return folders


def workflow(template: dict) -> dict:
    return next(r for r in template["resources"] if r["type"] == "Microsoft.Logic/workflows")


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_template_validates_against_the_schemas(rendered: dict[str, Path], name: str) -> None:
    checked = validate_directory(rendered[name])
    assert [p.name for p in checked] == ["export-logicapp.json"]


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_logic_app_runs_the_query_file_of_the_python_exporter(rendered: dict[str, Path], name: str) -> None:
    template = json.loads((rendered[name] / "export-logicapp.json").read_text())
    definition = workflow(template)["properties"]["definition"]
    placed = definition["parameters"]["exportQuery"]["defaultValue"]
    assert placed == QUERY_FILE.read_text(encoding="utf-8")
    request = build_request(
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Insights/components/a",
        datetime(2026, 11, 29, 10, tzinfo=UTC),
        datetime(2026, 11, 29, 11, tzinfo=UTC),
    )
    assert request.query.endswith(placed)
    assert request.query.startswith(
        "let window_start = datetime(2026-11-29T10:00:00.000000Z);\n"
        "let window_end = datetime(2026-11-29T11:00:00.000000Z);\n"
    )
    body = definition["actions"]["For_each_hour_of_the_window"]["actions"]["Run_export_query"]["inputs"][
        "body"
    ]
    assert "let window_start = datetime(" in body and "parameters('exportQuery')" in body


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_schedule_identity_and_container_come_from_the_environment(
    rendered: dict[str, Path], name: str
) -> None:
    env = load_environment(name)
    template = json.loads((rendered[name] / "export-logicapp.json").read_text())
    logic_app = workflow(template)
    definition = logic_app["properties"]["definition"]
    recurrence = definition["triggers"]["Every_export_interval"]["recurrence"]
    assert recurrence == {"frequency": "Minute", "interval": env.monitoring.export_interval_minutes}
    assert logic_app["identity"]["type"] == "UserAssigned"
    connections = logic_app["properties"]["parameters"]["$connections"]["value"]
    assert {c["connectionProperties"]["authentication"]["type"] for c in connections.values()} == {
        "ManagedServiceIdentity"
    }
    write = definition["actions"]["For_each_hour_of_the_window"]["actions"]["If_the_hour_has_records"]
    folder = write["actions"]["Write_hour_blob"]["inputs"]["queries"]["folderPath"]
    assert f"/{env.storage.inference_container}/" in folder and "yyyy/MM/dd/HH" in folder


def test_validator_still_refuses_a_wrong_identity(rendered: dict[str, Path]) -> None:
    template = json.loads((rendered["dev"] / "export-logicapp.json").read_text())
    workflow(template)["identity"]["type"] = "Borrowed"
    assert any("identity" in problem and "Borrowed" in problem for problem in validate_template(template))


def test_query_reads_inference_custom_events_into_the_export_columns() -> None:
    query = inference_query()
    assert 'where name == "inference"' in query
    for column in ("time", "request_id", "model_name", "model_version", "features", "score", "latency_ms"):
        assert f"    {column} = " in query
