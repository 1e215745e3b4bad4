"""Train for an environment on this machine: training data, the local pipeline run, manifest and baseline.

The manifest and the drift baseline always describe the production model: after a run whose challenger
lost the gate they still name (and hold the training features of) the champion.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from environments.model import Environment
from ml.components.step_files import REGISTRATION_FILE, read_json
from ml.data import store, versions
from ml.pipeline.errors import PipelineError
from ml.pipeline.local_runner import run_pipeline
from ml.registry import local_registry
from ml.registry.manifest import write_manifest
from ml.render_context import CHAMPION_ALIAS
from ml.training.model import BASELINE_FILE

REGISTRATION_OUTPUT = "registration"


def training_data(env: Environment, state: Path, source: Path | None = None) -> store.TrainingData:
    """The recorded training data, prepared first if there is none yet or a file is given or configured
    (a configured file is split again every time: `store.prepare`), registered as a data version
    (`ml/data/versions.py`: the first is version 1, a retrain's feedback makes the next); training reads
    that version's file."""
    folder = store.data_dir(state)
    if source is None and store.configured_file(env) is None and (folder / store.TRAINING_INFO).is_file():
        data = store.read(folder)
    else:
        data = store.prepare(env, state, source)
    return store.read(versions.version_dir(state, versions.register(state, data).version))


def publish_production(env: Environment, state: Path) -> dict[str, Any]:
    """Write the manifest and the drift baseline for the version behind the production alias."""
    record = local_registry.production_record(state, env.name, env.model.name, CHAMPION_ALIAS)
    if record is None:
        raise PipelineError(
            f"no {env.model.name} version has the alias {CHAMPION_ALIAS!r}; nothing to publish"
        )
    baseline = store.data_dir(state) / store.BASELINE_FILE
    source = Path(record["model_path"]) / BASELINE_FILE
    if not source.is_file():
        raise PipelineError(f"{source}: model version {record['version']} carries no training baseline")
    baseline.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, baseline)
    record["baseline_path"] = str(baseline.resolve())
    write_manifest(state, record)
    return record


def train_local(
    env: Environment,
    state: Path,
    pipeline_path: Path,
    source: Path | None = None,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[str], None] = print,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the pipeline; returns (this run's registration record, the production manifest)."""
    data = training_data(env, state, source)
    progress(
        f"training data version {data.path.parent.name}: {data.path} ({data.rows} rows, {data.fingerprint})"
    )
    run = run_pipeline(pipeline_path, state, {"data": data.path, **(overrides or {})}, progress)
    if REGISTRATION_OUTPUT not in run.pipeline_outputs:
        raise PipelineError(f"{pipeline_path}: the pipeline has no output {REGISTRATION_OUTPUT!r}")
    registration = read_json(run.pipeline_outputs[REGISTRATION_OUTPUT], REGISTRATION_FILE)
    manifest = publish_production(env, state)
    return registration, manifest
