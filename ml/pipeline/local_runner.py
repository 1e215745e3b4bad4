"""Run a rendered pipeline job on this machine: each step's component command as a subprocess.

Inputs and outputs are local folders under `<state>/ml/runs/<run id>/<step>/<output>`; MLflow tracks the
pipeline as a parent run with one child run per step, as Azure ML does, in the local SQLite store.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.pipeline.command import render_command
from ml.pipeline.errors import PipelineDefinitionError, StepFailedError
from ml.pipeline.graph import PATH_TYPES, JobOutput, ParentInput, Pipeline, Step, load_pipeline
from ml.registry import tracking

LOG_FILE = "std_log.txt"
LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class PipelineRun:
    """A finished local run: its MLflow run id, its folder, and where each step's outputs are."""

    run_id: str
    folder: Path
    outputs: dict[str, dict[str, Path]]
    pipeline_outputs: dict[str, Path]


def _inputs(pipeline: Pipeline, overrides: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(overrides) - set(pipeline.inputs))
    if unknown:
        raise PipelineDefinitionError(
            pipeline.path, "inputs", f"no such pipeline input(s): {', '.join(unknown)}"
        )
    values = {name: given.value for name, given in pipeline.inputs.items()} | overrides
    for name, given in pipeline.inputs.items():
        if given.type in PATH_TYPES:
            value = values[name]
            if value is None or isinstance(value, str):
                reason = f"needs a local path for the local runner, got {value!r}"
                raise PipelineDefinitionError(pipeline.path, f"inputs.{name}", reason)
            if not Path(value).exists():
                raise PipelineDefinitionError(pipeline.path, f"inputs.{name}.path", f"{value} does not exist")
    return values


def _step_inputs(step: Step, values: dict[str, Any], produced: dict[str, dict[str, Path]]) -> dict[str, Any]:
    bound = {name: spec.get("default") for name, spec in step.component.inputs.items()}
    for name, binding in step.inputs.items():
        if isinstance(binding, ParentInput):
            bound[name] = values[binding.name]
        elif isinstance(binding, JobOutput):
            bound[name] = produced[binding.job][binding.output]
        else:
            bound[name] = binding
    return bound


def _tail(path: Path) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def run_pipeline(
    pipeline_path: Path,
    state: Path,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[str], None] = print,
) -> PipelineRun:
    """Run every step in order; a failing step stops the run and names its log."""
    pipeline = load_pipeline(pipeline_path)
    values = _inputs(pipeline, overrides or {})
    store = tracking.client(state)
    experiment = tracking.experiment_id(state, pipeline.experiment)
    parent = store.create_run(experiment, run_name=f"pipeline {pipeline_path.stem}", tags={"runner": "local"})
    run_id = parent.info.run_id
    folder = state / "ml" / "runs" / run_id
    produced: dict[str, dict[str, Path]] = {}
    for step in pipeline.steps:
        step_folder = folder / step.name
        outputs = {name: step_folder / name for name in step.component.outputs}
        for path in outputs.values():
            path.mkdir(parents=True, exist_ok=True)
        argv = render_command(step.component, _step_inputs(step, values, produced), outputs)
        child = store.create_run(experiment, run_name=step.name, tags={"mlflow.parentRunId": run_id})
        environ = os.environ | {
            "MLFLOW_TRACKING_URI": tracking.tracking_uri(state),
            "MLFLOW_EXPERIMENT_ID": experiment,
            "MLFLOW_RUN_ID": child.info.run_id,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(step.component.code), os.environ.get("PYTHONPATH")])
            ),
        }
        log = step_folder / LOG_FILE
        progress(f"step {step.name}: {step.component.name}")
        with log.open("w", encoding="utf-8") as handle:
            result = subprocess.run(
                argv,
                cwd=step.component.code,
                env=environ,
                stdout=handle,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0:
            store.set_terminated(child.info.run_id, "FAILED")
            store.set_terminated(run_id, "FAILED")
            raise StepFailedError(step.name, result.returncode, log, _tail(log))
        store.set_terminated(child.info.run_id, "FINISHED")
        produced[step.name] = outputs
        progress(_tail(log).splitlines()[-1] if log.stat().st_size else f"step {step.name}: done")
    store.set_terminated(run_id, "FINISHED")
    pipeline_outputs = {
        target: produced[step.name][name]
        for step in pipeline.steps
        for name, target in step.outputs.items()
        if target is not None
    }
    return PipelineRun(run_id, folder, produced, pipeline_outputs)
