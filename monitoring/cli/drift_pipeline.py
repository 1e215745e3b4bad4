"""`python -m monitoring drift-pipeline <env> [--from T --to T]`: run the drift pipeline.

local: the rendered component's command as a subprocess against Azurite (the exported Parquet blobs) and
the collector (metrics through the real exporter); see `monitoring/drift/local_pipeline.py`.
Azure: submit the rendered pipeline job to the environment's workspace with azure-ai-ml.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from environments.errors import ConfigError
from environments.loader import load_environment
from environments.model import Environment
from monitoring.drift.errors import DriftError, DriftPipelineError
from monitoring.drift.local_pipeline import read_metrics, run_local
from monitoring.drift.window import default_window, parse_time

BLOB_CONNECTION_STRING_VAR = "STREAMSCORE_BLOB_CONNECTION_STRING"


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
    return parser


def _azurite(port: int) -> str:
    from environments.standins.azurite import ACCOUNT, ACCOUNT_KEY

    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
    )


def _submit(env: Environment) -> int:
    """Submit the rendered drift pipeline job to the Azure ML workspace."""
    from azure.ai.ml import MLClient, load_job
    from azure.identity import DefaultAzureCredential

    from environments.naming import resource_names
    from environments.render import build_dir

    path = build_dir(env.name) / "monitoring" / "azureml" / "pipelines" / "drift.yml"
    if not path.is_file():
        raise DriftPipelineError(f"{path}: not rendered; run `python -m environments render {env.name}`")
    subscription = env.azure.subscription_id
    if subscription.startswith("env:"):
        subscription = os.environ.get(subscription[4:], "")
        if not subscription:
            raise DriftPipelineError(f"environment variable {env.azure.subscription_id[4:]} is not set")
    connection = os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING")
    if not connection:
        raise DriftPipelineError(
            "APPLICATIONINSIGHTS_CONNECTION_STRING is not set: the job sends its metrics there"
        )
    job = load_job(path)
    job.jobs["drift"].environment_variables = {"APPLICATIONINSIGHTS_CONNECTION_STRING": connection}
    client = MLClient(
        DefaultAzureCredential(), subscription, env.azure.resource_group, resource_names(env).workspace
    )
    created = client.jobs.create_or_update(job)
    print(f"submitted drift pipeline {created.name}: {created.studio_url}")
    return 0


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)  # one line per blob request is noise here
    args = _parser().parse_args(argv)
    try:
        env = load_environment(args.environment)
        if env.target == "azure":
            return _submit(env)
        start, end = default_window(datetime.now(UTC), env.monitoring.drift_window_hours)
        if args.start:
            start = parse_time(args.start, "--from")
        if args.end:
            end = parse_time(args.end, "--to")
        connection = (
            args.blob_connection_string
            or os.environ.get(BLOB_CONNECTION_STRING_VAR)
            or _azurite(env.local.azurite_blob_port)
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
