"""`python -m monitoring drift-pipeline <env> [--from T --to T]`: run the drift pipeline.

local: the rendered component's command as a subprocess against Azurite (the exported Parquet blobs) and
the collector (metrics through the real exporter); see `monitoring/drift/local_pipeline.py`.
Azure: `--schedule` (what the deploy runs) creates or updates the hourly Azure ML schedule of the
rendered pipeline job, the in-cloud orchestrator; without it one run is submitted now. Both pin the
baseline to the serving model version (the model manifest's registry URI) and name, in
APPLICATIONINSIGHTS_CONNECTION_STRING_SECRET_URI, the Key Vault secret the job reads its connection
string from when it starts (`monitoring/drift/secret_settings.py`): the value is in no definition.
The Azure calls go through apply's clients when the deploy runs this (`azure_session`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from environments.deploy.deployed_settings import telemetry_secret_uri
from environments.errors import ConfigError
from environments.loader import load_environment
from environments.model import Environment
from environments.standins.well_known import azurite_connection_string
from environments.telemetry_variables import CONNECTION_STRING_SECRET_VAR
from monitoring.drift.errors import DriftError, DriftPipelineError
from monitoring.drift.local_pipeline import read_metrics, run_local
from monitoring.drift.window import default_window, parse_time

BLOB_CONNECTION_STRING_VAR = "STREAMSCORE_BLOB_CONNECTION_STRING"
DRIFT_EVERY_HOURS = 1  # as the GitHub cron in .github/workflows/drift.yml


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring drift-pipeline", description=__doc__.splitlines()[0]
    )
    parser.add_argument("environment")
    parser.add_argument(
        "--from", dest="start", help="window start, ISO-8601 (default: drift_window_hours ago)"
    )
    parser.add_argument("--to", dest="end", help="window end, exclusive (default: the current whole hour)")
    parser.add_argument("--collector", help="local: collector URL (default: local.collector_port)")
    parser.add_argument(
        "--blob-connection-string",
        help=f"local: storage connection string (default: ${BLOB_CONNECTION_STRING_VAR}, else Azurite's dev account)",
    )
    parser.add_argument(
        "--baseline", type=Path, help="training baseline (default: <state>/data/baseline.parquet)"
    )
    parser.add_argument("--state-dir", type=Path, help="local: state folder (default: local.state_dir)")
    parser.add_argument(
        "--container", help="local: inference container (default: storage.inference_container)"
    )
    parser.add_argument(
        "--schedule",
        action="store_true",
        help="Azure: create or update the hourly Azure ML schedule instead of submitting one run",
    )
    return parser


def drift_schedule(env: Environment, pipeline_path: Path, baseline_model: str) -> Any:
    """The Azure ML schedule of the rendered drift pipeline (pure: no connection): hourly, against the
    serving model version (`baseline_model`, a registry URI, never a label), sending its metrics to
    Application Insights with the connection string it reads from Key Vault when it starts (the schedule
    names the secret, `telemetry_secret_uri`, never the value)."""
    from azure.ai.ml import load_environment, load_job
    from azure.ai.ml.entities import JobSchedule, ManagedIdentityConfiguration, RecurrenceTrigger

    from environments.naming import resource_names

    if "/versions/" not in baseline_model:
        raise DriftPipelineError(f"baseline model {baseline_model!r} is not one registry version")
    if not pipeline_path.is_file():
        raise DriftPipelineError(
            f"{pipeline_path}: not rendered; run `python -m environments render {env.name}`"
        )
    # Through params_override, as the YAML would say it: an `Input` assigned into `job.inputs` replaces
    # the pipeline's input binding, and the schedule's serializer then fails (azure-ai-ml 1.35).
    job = load_job(pipeline_path, params_override=[{"inputs.baseline.path": baseline_model}])
    drift = job.jobs["drift"]
    drift.environment_variables = {CONNECTION_STRING_SECRET_VAR: telemetry_secret_uri(env)}
    # The environment shared through the registry (as training's), so every workspace finds it.
    environment = load_environment(drift_environment_path(pipeline_path))
    drift.component.environment = (
        f"azureml://registries/{resource_names(env).registry}/environments/{environment.name}"
        f"/versions/{environment.version}"
    )
    # Read the exported Parquet as the compute's managed identity (ml-infra.json gives it blob access).
    drift.identity = ManagedIdentityConfiguration()
    trigger = RecurrenceTrigger(frequency="hour", interval=DRIFT_EVERY_HOURS)
    return JobSchedule(name=f"{resource_names(env).base}-drift", trigger=trigger, create_job=job)


def drift_environment_path(pipeline_path: Path) -> Path:
    """The rendered drift environment next to the pipeline (`monitoring/azureml/environment-drift.yml`)."""
    return pipeline_path.parents[1] / "environment-drift.yml"


def _baseline_model(manifest: Path) -> str:
    """The serving model's registry URI from the model manifest (docs/contracts.md, `model_uri`)."""
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["model_uri"])
    except (OSError, ValueError, KeyError) as exc:
        raise DriftPipelineError(f"{manifest}: no model_uri in the model manifest ({exc})") from exc


def _clients(env: Environment) -> Any:
    """apply's clients (`azure_session`), else DefaultAzureCredential on the environment's subscription."""
    from environments.deploy.azure_clients import session_clients

    def subscription() -> str:
        value = env.azure.subscription_id
        if value.startswith("env:") and not os.environ.get(value[4:]):
            raise DriftPipelineError(f"environment variable {value[4:]} is not set")
        return os.environ[value[4:]] if value.startswith("env:") else value

    return session_clients(subscription)


def _share_environment(registry: Any, pipeline_path: Path) -> None:
    """Write the drift environment's version into the registry unless it is there (dev's deploy writes
    it first; staging and prod, deploying the same release, find it)."""
    from azure.ai.ml import load_environment
    from azure.core.exceptions import ResourceNotFoundError

    environment = load_environment(drift_environment_path(pipeline_path))
    try:
        registry.environments.get(environment.name, version=environment.version)
    except ResourceNotFoundError:
        registry.environments.create_or_update(environment)


def _submit(env: Environment, schedule: bool) -> int:
    """Azure: create the drift schedule (`--schedule`, what the deploy runs), or submit one run now."""
    from environments.deploy.azure_clients import session_root
    from environments.naming import resource_names
    from environments.render import build_dir

    build = build_dir(env.name, session_root())
    path = build / "monitoring" / "azureml" / "pipelines" / "drift.yml"
    plan = drift_schedule(env, path, _baseline_model(build / "state" / "ml" / "model-manifest.json"))
    clients, names = _clients(env), resource_names(env)
    client = clients.ml(env.azure.resource_group, names.workspace)
    _share_environment(clients.ml_registry(names.registry), path)
    if schedule:
        created = client.schedules.begin_create_or_update(plan).result()
        print(f"drift schedule {created.name}: every {DRIFT_EVERY_HOURS} hour(s)")
        return 0
    submitted = client.jobs.create_or_update(plan.create_job)
    print(f"submitted drift pipeline {submitted.name}: {submitted.studio_url}")
    return 0


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)  # one line per blob request is noise here
    args = _parser().parse_args(argv)
    try:
        env = load_environment(args.environment)
        if env.target == "azure":
            return _submit(env, args.schedule)
        start, end = default_window(datetime.now(UTC), env.monitoring.drift_window_hours)
        if args.start:
            start = parse_time(args.start, "--from")
        if args.end:
            end = parse_time(args.end, "--to")
        connection = (
            args.blob_connection_string
            or os.environ.get(BLOB_CONNECTION_STRING_VAR)
            or azurite_connection_string(env.local.azurite_blob_port)
        )
        collector = args.collector or f"http://127.0.0.1:{env.local.collector_port}"
        run = run_local(env, start, end, connection, collector, args.baseline, args.state_dir, args.container)
    except (ConfigError, DriftError) as exc:
        print(f"drift-pipeline: {exc}", file=sys.stderr)
        return 1
    if run.exit_code != 0:
        print(f"drift-pipeline: the drift component failed (exit {run.exit_code})", file=sys.stderr)
        return 1
    records = read_metrics(run.report)
    drifted = sorted({r["feature"] for r in records if r["drifted"]})
    print(
        f"{run.blobs} blob(s), {len(records)} metrics; drifted: {', '.join(drifted) or 'none'}; report: {run.report}"
    )
    return 0
