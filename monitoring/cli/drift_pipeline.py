"""`python -m monitoring drift-pipeline <env> [--from T --to T]`: run the drift pipeline.

local: the rendered component's command as a subprocess against Azurite (the exported Parquet blobs) and
the collector (metrics through the real exporter); see `monitoring/drift/local_pipeline.py`.
Azure: `--schedule` (what the deploy runs) creates or updates the hourly Azure ML schedule of the
rendered pipeline job, the in-cloud orchestrator (the primary path); `--trigger` runs that deployed
schedule once now (the manual GitHub workflow, drift.yml: it needs only the workspace, not the deploy's
rights); with neither, one run is submitted from this checkout. The schedule and that run pin the
baseline to the serving model version (the model manifest's registry URI) and name, in
APPLICATIONINSIGHTS_CONNECTION_STRING_SECRET_URI, the Key Vault secret the job reads its connection
string from when it starts (`monitoring/drift/secret_settings.py`): the value is in no definition.
Application Insights has local auth disabled, so the job signs in as the drift identity
(APPLICATIONINSIGHTS_AUTHENTICATION_STRING with its client id, `STREAMSCORE_TELEMETRY_CLIENT_ID`, which
the deploy reads from that identity). The Azure calls go through apply's clients when the deploy runs
this (`azure_session`).
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

from environments.cli_arguments import add_blob_connection, add_collector, add_environment, variable_value
from environments.deploy.deployed_settings import telemetry_secret_uri
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.model import AzureTarget, Environment
from environments.standins.well_known import azurite_connection_string
from environments.telemetry_variables import (
    AUTHENTICATION_STRING_VAR,
    CONNECTION_STRING_SECRET_VAR,
    TELEMETRY_CLIENT_ID_VAR,
    entra_authentication,
)
from monitoring.drift.errors import DriftError, DriftPipelineError
from monitoring.drift.local_pipeline import read_metrics, run_local
from monitoring.drift.window import default_window, parse_time

BLOB_CONNECTION_STRING_VAR = "STREAMSCORE_BLOB_CONNECTION_STRING"
DRIFT_EVERY_HOURS = 1  # the in-cloud schedule; .github/workflows/drift.yml is only a manual trigger of it


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring drift-pipeline", description=__doc__.splitlines()[0]
    )
    add_environment(parser)
    parser.add_argument(
        "--from", dest="start", help="window start, ISO-8601 (default: drift_window_hours ago)"
    )
    parser.add_argument("--to", dest="end", help="window end, exclusive (default: the current whole hour)")
    add_collector(parser)
    add_blob_connection(parser, f"local: ${BLOB_CONNECTION_STRING_VAR}, else Azurite's development account")
    parser.add_argument(
        "--baseline", type=Path, help="training baseline (default: <state>/data/baseline.parquet)"
    )
    parser.add_argument("--state-dir", type=Path, help="local: state folder (default: local.state_dir)")
    parser.add_argument(
        "--container", help="local: inference container (default: storage.inference_container)"
    )
    azure = parser.add_mutually_exclusive_group()
    azure.add_argument(
        "--schedule",
        action="store_true",
        help="Azure: create or update the hourly Azure ML schedule instead of submitting one run",
    )
    azure.add_argument(
        "--trigger",
        action="store_true",
        help="Azure: run the deployed hourly schedule once now (drift.yml's manual trigger)",
    )
    return parser


def drift_schedule_name(env: Environment) -> str:
    """The name of the environment's in-cloud drift schedule (created by the deploy, run by --trigger)."""
    from environments.naming import resource_names

    return f"{resource_names(env).base}-drift"


def drift_schedule(env: Environment, pipeline_path: Path, baseline_model: str, client_id: str | None) -> Any:
    """The Azure ML schedule of the rendered drift pipeline (pure: no connection): hourly, against the
    serving model version (`baseline_model`, a registry URI, never a label), sending its metrics to
    Application Insights with the connection string it reads from Key Vault when it starts (the schedule
    names the secret, `telemetry_secret_uri`, never the value), signed in as the drift identity
    `client_id` (set here, at deploy time)."""
    from azure.ai.ml import load_environment, load_job
    from azure.ai.ml.entities import JobSchedule, ManagedIdentityConfiguration, PipelineJob, RecurrenceTrigger

    from environments.naming import resource_names

    if not client_id:
        raise DriftPipelineError(
            f"{TELEMETRY_CLIENT_ID_VAR} is not set: the drift job signs in to Application Insights (local "
            "auth disabled) as the drift identity (the deploy reads its client id from the identity)"
        )
    if "/versions/" not in baseline_model:
        raise DriftPipelineError(f"baseline model {baseline_model!r} is not one registry version")
    if not pipeline_path.is_file():
        raise DriftPipelineError(
            f"{pipeline_path}: not rendered; run `python -m environments render {env.name}`"
        )
    # Through params_override, as the YAML would say it: an `Input` assigned into `job.inputs` replaces
    # the pipeline's input binding, and the schedule's serializer then fails (azure-ai-ml 1.35).
    job = load_job(pipeline_path, params_override=[{"inputs.baseline.path": baseline_model}])
    if not isinstance(job, PipelineJob):
        raise DriftPipelineError(f"{pipeline_path}: not a pipeline job ({type(job).__name__})")
    drift = job.jobs["drift"]
    drift.environment_variables = {
        CONNECTION_STRING_SECRET_VAR: telemetry_secret_uri(env),
        AUTHENTICATION_STRING_VAR: entra_authentication(client_id),
    }
    # The environment shared through the registry (as training's), so every workspace finds it.
    environment = load_environment(drift_environment_path(pipeline_path))
    drift.component.environment = (
        f"azureml://registries/{resource_names(env).registry}/environments/{environment.name}"
        f"/versions/{environment.version}"
    )
    # Read the exported Parquet as the compute's managed identity (ml-infra.json gives it blob access).
    drift.identity = ManagedIdentityConfiguration()
    trigger = RecurrenceTrigger(frequency="hour", interval=DRIFT_EVERY_HOURS)
    return JobSchedule(name=drift_schedule_name(env), trigger=trigger, create_job=job)


def drift_environment_path(pipeline_path: Path) -> Path:
    """The rendered drift environment next to the pipeline (`monitoring/azureml/environment-drift.yml`)."""
    return pipeline_path.parents[1] / "environment-drift.yml"


def _baseline_model(manifest: Path) -> str:
    """The serving model's registry URI from the model manifest (docs/contracts.md, `model_uri`)."""
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["model_uri"])
    except (OSError, ValueError, KeyError) as exc:
        raise DriftPipelineError(f"{manifest}: no model_uri in the model manifest ({exc})") from exc


def _azure(env: Environment) -> AzureTarget:
    if env.azure is None:
        raise DriftPipelineError(f"{env.name}: no azure section to find the workspace in")
    return env.azure


def _clients(env: Environment) -> Any:
    """apply's clients (`azure_session`), else `azure_credential()` on the environment's subscription."""
    from environments.deploy.azure_clients import session_clients

    azure = _azure(env)

    def subscription() -> str:
        value = azure.subscription_id
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


def _trigger(env: Environment) -> int:
    """Azure: run the schedule the deploy created once now (Azure ML `schedules.trigger`)."""
    from azure.core.exceptions import ResourceNotFoundError

    from environments.naming import resource_names

    client = _clients(env).ml(_azure(env).resource_group, resource_names(env).workspace)
    name = drift_schedule_name(env)
    try:
        result = client.schedules.trigger(name)
    except ResourceNotFoundError as exc:
        raise DriftPipelineError(
            f"{env.name}: no drift schedule {name} in the workspace; deploy the environment first "
            f"(its drift-schedule step creates it): {exc.message}"
        ) from exc
    print(f"drift schedule {name}: triggered once (job {result.job_name})")
    return 0


def _submit(env: Environment, schedule: bool) -> int:
    """Azure: create the drift schedule (`--schedule`, what the deploy runs), or submit one run now."""
    from environments.deploy.azure_clients import deployed_setting, session_root
    from environments.naming import resource_names
    from environments.render import build_dir

    build = build_dir(env.name, session_root())
    path = build / "monitoring" / "azureml" / "pipelines" / "drift.yml"
    manifest = build / "state" / "ml" / "model-manifest.json"
    plan = drift_schedule(env, path, _baseline_model(manifest), deployed_setting(TELEMETRY_CLIENT_ID_VAR))
    clients, names = _clients(env), resource_names(env)
    client = clients.ml(_azure(env).resource_group, names.workspace)
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
            return _trigger(env) if args.trigger else _submit(env, args.schedule)
        if args.trigger or args.schedule:
            raise DriftPipelineError(f"{env.name}: --schedule and --trigger are for Azure environments")
        local = env.local
        if local is None:
            raise DriftPipelineError(f"{env.name}: neither an azure target nor a local section")
        start, end = default_window(datetime.now(UTC), env.monitoring.drift_window_hours)
        if args.start:
            start = parse_time(args.start, "--from")
        if args.end:
            end = parse_time(args.end, "--to")
        connection = (
            variable_value("--blob-connection-string-env", args.blob_connection_string_env)
            or os.environ.get(BLOB_CONNECTION_STRING_VAR)
            or azurite_connection_string(local.azurite_blob_port)
        )
        collector = args.collector or f"http://127.0.0.1:{local.collector_port}"
        run = run_local(env, start, end, connection, collector, args.baseline, args.state_dir, args.container)
    except (EnvironmentsError, DriftError) as exc:  # ConfigError, CommandLineError among them
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
