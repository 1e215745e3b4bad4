"""The scheduled inference export (decision 0016): per Azure environment, the ARM template of its identity
and compute validates against the official schemas, the Azure ML pipeline runs the project's own exporter
(`python -m export run <env> --last-hours N`, the contract's Parquet) on the compute that carries only the
export identity, and the schedule signs the job in as that identity; the window a scheduled run exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from azure.ai.ml import load_component, load_environment, load_job

from environments.arm import validate_directory, validate_template
from environments.loader import load_environment as load_env
from environments.naming import resource_names
from environments.render import render_environment
from export.cli.run import main as run_main
from export.errors import ExportConfigError
from export.query_text import inference_query
from export.schedule import export_schedule, job_variables
from export.windows import recent_window

AZURE_ENVIRONMENTS = ["dev", "staging", "prod"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    builds = {}
    for name in AZURE_ENVIRONMENTS:
        builds[name] = tmp_path_factory.mktemp(name)
        render_environment(name, out=builds[name], domains=("export",))
    return builds


def _template(build: Path) -> dict:
    return json.loads((build / "export" / "arm" / "export-job.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_the_template_validates_and_the_compute_carries_only_the_export_identity(
    rendered: dict[str, Path], name: str
) -> None:
    build, names = rendered[name], resource_names(load_env(name))
    assert [p.name for p in validate_directory(build / "export" / "arm")] == ["export-job.json"]
    template = _template(build)
    types = sorted(r["type"] for r in template["resources"])
    assert "Microsoft.Logic/workflows" not in types and "Microsoft.Web/connections" not in types
    compute = next(r for r in template["resources"] if r["type"].endswith("workspaces/computes"))
    assert compute["name"] == f"[format('{{0}}/{{1}}', '{names.workspace}', 'export-cluster')]"
    assert list(compute["identity"]["userAssignedIdentities"]) == ["[variables('identityId')]"]
    assert names.export_identity in template["variables"]["identityId"]
    assert compute["properties"]["properties"]["scaleSettings"]["minNodeCount"] == 0
    scopes = sorted(r["scope"] for r in template["resources"] if r["type"].endswith("roleAssignments"))
    assert scopes == [
        "Microsoft.Storage/storageAccounts/"
        f"{names.storage_account}/blobServices/default/containers/inference-data",
        "[variables('appInsightsId')]",
    ]


def test_the_validator_still_refuses_a_wrong_compute_identity(rendered: dict[str, Path]) -> None:
    template = _template(rendered["dev"])
    compute = next(r for r in template["resources"] if r["type"].endswith("workspaces/computes"))
    compute["identity"]["type"] = "Borrowed"
    assert any("Borrowed" in problem for problem in validate_template(template))


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_the_pipeline_runs_the_project_s_exporter_on_the_export_compute(
    rendered: dict[str, Path], name: str
) -> None:
    env = load_env(name)
    folder = rendered[name] / "export" / "azureml"
    component = load_component(folder / "components" / "export.yml")
    assert component.command.startswith("python -m export run ${{inputs.environment_name}} --last-hours")
    job = load_job(folder / "pipelines" / "export.yml")  # the SDK accepts it
    assert job.settings.default_compute == "export-cluster"
    inputs = yaml.safe_load((folder / "pipelines" / "export.yml").read_text(encoding="utf-8"))["inputs"]
    assert inputs == {
        "environment_name": name,
        "hours_per_run": max(1, -(-env.monitoring.export_interval_minutes // 60)),
    }
    environment = load_environment(folder / "environment-export.yml")
    conda = (folder / "environment-export-conda.yml").read_text(encoding="utf-8")
    assert environment.name == f"{env.model.name}-export"
    for package in ("azure-monitor-query==", "azure-storage-blob==", "pyarrow==", "azure-identity=="):
        assert package in conda


def test_the_schedule_signs_the_job_in_as_the_export_identity(rendered: dict[str, Path]) -> None:
    env = load_env("dev")
    schedule = export_schedule(env, rendered["dev"], "sub-1", "client-1")
    assert schedule.name == "sscore-dev-export"
    assert (schedule.trigger.frequency, schedule.trigger.interval) == ("minute", 60)
    step = schedule.create_job.jobs["export"]
    assert step.environment_variables == {"AZURE_CLIENT_ID": "client-1", "AZURE_SUBSCRIPTION_ID": "sub-1"}
    assert step.identity.type == "managed_identity"
    body = json.dumps(schedule._to_rest_object().as_dict())  # what the service receives
    assert '"frequency": "minute"' in body and "export-cluster" in body
    with pytest.raises(ExportConfigError, match="sscore-dev-export-id"):
        job_variables(env, "sub-1", None)
    with pytest.raises(ExportConfigError, match="not rendered"):
        export_schedule(env, rendered["dev"] / "nowhere", "sub-1", "client-1")


def test_local_renders_no_azure_ml_export(tmp_path: Path) -> None:
    written = render_environment("local", out=tmp_path, domains=("export",))
    assert written == []


@pytest.mark.parametrize(
    ("now", "hours", "expected"),
    [
        ("2026-11-29T10:14:59", 1, ("2026-11-29T08:00:00", "2026-11-29T09:00:00")),
        ("2026-11-29T10:15:00", 1, ("2026-11-29T09:00:00", "2026-11-29T10:00:00")),
        ("2026-11-29T00:20:00", 3, ("2026-11-28T21:00:00", "2026-11-29T00:00:00")),
    ],
)
def test_a_scheduled_run_exports_the_whole_hours_that_ended_before_the_ingestion_delay(
    now: str, hours: int, expected: tuple[str, str]
) -> None:
    start, end = recent_window(datetime.fromisoformat(now).replace(tzinfo=UTC), hours)
    assert (start.isoformat(), end.isoformat()) == tuple(f"{t}+00:00" for t in expected)
    assert end - start == timedelta(hours=hours)
    with pytest.raises(ExportConfigError, match="--last-hours"):
        recent_window(datetime.now(UTC), 0)


@pytest.mark.parametrize(
    "argv",
    [
        ["local"],
        ["local", "--from", "2026-11-29T10:00:00Z"],
        ["local", "--last-hours", "1", "--to", "2026-11-29T10:00:00Z"],
    ],
)
def test_run_takes_either_a_window_or_the_last_hours(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stopped:
        run_main(argv)
    assert stopped.value.code == 2
    assert "either --from and --to, or --last-hours" in capsys.readouterr().err


def test_query_reads_inference_custom_events_into_the_export_columns() -> None:
    query = inference_query()
    assert 'where name == "inference"' in query
    for column in ("time", "request_id", "model_name", "model_version", "features", "score", "latency_ms"):
        assert f"    {column} = " in query


def test_the_component_version_covers_every_export_module_the_job_imports() -> None:
    """A change to any module `python -m export run` loads gives the component a new version."""
    import subprocess
    import sys

    from export.render_context import EXPORT_SOURCES, REPO_ROOT

    listing = (
        "import sys, export.__main__, export.cli.run; "
        "print('\\n'.join(m.__file__ for m in list(sys.modules.values()) "
        "if (getattr(m, '__name__', '') or '').split('.')[0] == 'export' and getattr(m, '__file__', None)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", listing], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    modules = {Path(path).resolve().relative_to(REPO_ROOT).as_posix() for path in loaded}
    assert "export/cli/run.py" in modules and "export/exporter.py" in modules
    uncovered = [m for m in modules if not any(m == s or m.startswith(f"{s}/") for s in EXPORT_SOURCES)]
    assert uncovered == []
