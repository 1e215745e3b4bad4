"""Run the drift pipeline on this machine: the same component command, against Azurite and the collector.

1. Render the drift component and pipeline job for the environment (`build/<env>/monitoring/azureml/`).
2. Mirror the window's exported blobs (`{yyyy}/{MM}/{dd}/{HH}/*.parquet`, or `*.json` from the Logic App, in the inference container on
   Azurite) into `<state>/monitoring/drift/inference-data/`, the pipeline's `inference_data` input.
3. Resolve the job's inputs (the pipeline's values, `${{parent.inputs.*}}` bindings, component defaults),
   substitute them into the component's `command`, and run it as a subprocess with
   `APPLICATIONINSIGHTS_CONNECTION_STRING` pointing at the collector, so the real exporter sends the
   `drift_*` metrics there. The report lands in `<state>/monitoring/drift/reports/<window>/`, beside the data.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from environments import render
from environments.local_secrets import TELEMETRY_VARIABLE
from environments.model import Environment
from environments.render import render_template
from environments.standins.well_known import DEVELOPMENT_IKEY
from environments.unique_keys import load_yaml
from monitoring.drift.errors import DriftPipelineError
from monitoring.drift.window import hour_prefix, window_hours

LOG = logging.getLogger("streamscore.monitoring.drift")
COMPONENT_TEMPLATE = "monitoring/templates/azureml/components/drift.yml.j2"
PIPELINE_TEMPLATE = "monitoring/templates/azureml/pipelines/drift.yml.j2"
STEP = "drift"
_BINDING = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # azureml:..., https://...: not a local path
_PARENT = re.compile(r"^\$\{\{\s*parent\.(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}$")


@dataclass(frozen=True)
class LocalDriftRun:
    """Where a local drift run put its data and report, and how the component ended."""

    inference_data: Path
    report: Path
    blobs: int
    exit_code: int
    command: list[str]


def state_dir(env: Environment, root: Path = render.REPO_ROOT) -> Path:
    if env.local is None:
        raise DriftPipelineError(f"environment {env.name}: no 'local' section (state folder, ports)")
    return root / env.local.state_dir


def collector_connection_string(url: str) -> str:
    """Connection string that points the Azure Monitor exporter at the local collector."""
    return f"InstrumentationKey={DEVELOPMENT_IKEY};IngestionEndpoint={url.rstrip('/')}/"


def mirror_blobs(connection_string: str, container: str, start: datetime, end: datetime, folder: Path) -> int:
    """Download every export blob (Parquet, or the Logic App's JSON records) of the window's hour folders
    into `folder` (same layout); returns the count."""
    from azure.core.exceptions import AzureError
    from azure.storage.blob import BlobServiceClient

    count = 0
    try:
        client = BlobServiceClient.from_connection_string(connection_string).get_container_client(container)
        for hour in window_hours(start, end):
            prefix = hour_prefix(hour)
            shutil.rmtree(folder / prefix, ignore_errors=True)  # the mirror holds exactly what the blobs hold
            for blob in client.list_blobs(name_starts_with=prefix):
                if not blob.name.endswith((".parquet", ".json")):
                    continue
                target = folder / blob.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(client.download_blob(blob.name).readall())
                count += 1
    except AzureError as exc:
        raise DriftPipelineError(f"cannot read blobs of container {container!r}: {exc}") from exc
    return count


def resolve_inputs(pipeline: dict[str, Any], component: dict[str, Any], base: Path) -> dict[str, str]:
    """The drift step's input values: bindings to the pipeline's inputs, else the component's defaults."""
    step = pipeline["jobs"][STEP]
    values: dict[str, str] = {}
    for name, spec in component.get("inputs", {}).items():
        bound = step.get("inputs", {}).get(name)
        if isinstance(bound, str) and (match := _PARENT.match(bound)):
            bound = pipeline["inputs"].get(match.group(2))
        if isinstance(bound, dict):
            path = str(bound.get("path", ""))
            bound = (
                str((base / path).resolve()) if path and "://" not in path and ":" not in path[:2] else path
            )
        if bound is None:
            bound = spec.get("default") if isinstance(spec, dict) else None
        if bound is None:
            raise DriftPipelineError(f"component input {name!r} has no value in the pipeline and no default")
        values[name] = str(bound)
    return values


def component_argv(command: str, inputs: dict[str, str], outputs: dict[str, str]) -> list[str]:
    """The component's command with every `${{inputs.x}}`/`${{outputs.x}}` replaced, split shell-style."""

    def value(match: re.Match[str]) -> str:
        table = inputs if match.group(1) == "inputs" else outputs
        if match.group(2) not in table:
            raise DriftPipelineError(f"command refers to {match.group(0)}, which has no value")
        # The command quotes JSON inputs in '...': keep the value safe inside single quotes.
        return table[match.group(2)].replace("'", "'\"'\"'")

    return shlex.split(_BINDING.sub(value, command))


def run_local(
    env: Environment,
    start: datetime,
    end: datetime,
    blob_connection_string: str,
    collector_url: str,
    baseline: Path | None = None,
    state: Path | None = None,
    container: str | None = None,
    root: Path = render.REPO_ROOT,
) -> LocalDriftRun:
    """Mirror the window's blobs, then run the rendered component command against them.

    `state` replaces the environment's state folder (the pipeline's data and baseline paths follow it).
    """
    default_state = state_dir(env, root)
    state = state or default_state
    rendered = render.build_dir(env.name, root) / "monitoring" / "azureml"
    component_path = render_template(env, COMPONENT_TEMPLATE, rendered / "components" / "drift.yml", root)
    pipeline_path = render_template(env, PIPELINE_TEMPLATE, rendered / "pipelines" / "drift.yml", root)
    component = load_yaml(component_path.read_text(encoding="utf-8"))
    pipeline = load_yaml(pipeline_path.read_text(encoding="utf-8"))

    inputs = resolve_inputs(pipeline, component, pipeline_path.parent)
    for name in ("inference_data", "baseline"):
        path = Path(inputs[name])
        if path.is_relative_to(default_state.resolve()):
            inputs[name] = str(state / path.relative_to(default_state.resolve()))
    inference_data = Path(inputs["inference_data"])
    container = container or env.storage.inference_container
    blobs = mirror_blobs(blob_connection_string, container, start, end, inference_data)
    LOG.info("drift pipeline: %d blob(s) of [%s, %s) mirrored to %s", blobs, start, end, inference_data)
    baseline_path = baseline or Path(inputs["baseline"])
    if not baseline_path.exists():
        raise DriftPipelineError(
            f"{baseline_path}: no training baseline; run `python -m ml pipeline {env.name}` first or pass --baseline"
        )
    inputs |= {
        "baseline": str(baseline_path),
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
    }
    report = state / "monitoring" / "drift" / "reports" / f"{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}"
    argv = component_argv(component["command"], inputs, {"report": str(report)})
    if argv[:1] == ["python"]:
        argv[0] = sys.executable
    environ = {
        **os.environ,
        # The stack's own connection string (its instrumentation key) when given; the collector
        # rejects envelopes for any other key.
        TELEMETRY_VARIABLE: os.environ.get(TELEMETRY_VARIABLE) or collector_connection_string(collector_url),
        "PYTHONPATH": str(root),
    }
    LOG.info("drift pipeline: %s", shlex.join(argv))
    done = subprocess.run(argv, cwd=root, env=environ, check=False)
    return LocalDriftRun(inference_data, report, blobs, done.returncode, argv)


def read_metrics(report: Path) -> list[dict[str, Any]]:
    """The records a run wrote (`drift-metrics.json`)."""
    return json.loads((report / "drift-metrics.json").read_text(encoding="utf-8"))
