"""The Azure path of `python -m ml pipeline <env>`: the same rendered pipeline job, submitted with azure-ai-ml.

dev trains: upload the training data asset (version = content fingerprint), create the training
environment, submit the pipeline, wait, and share a newly registered version into the registry.
staging and prod promote: they take a registry version and write it into their manifest.
Request objects (`data_asset`, `pipeline_job`) are built without a connection and validated in tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from environments.model import Environment
from environments.naming import resource_names
from ml.components.step_files import REGISTRATION_FILE, read_json
from ml.data.store import TrainingData, asset_version, data_dir
from ml.pipeline.errors import PipelineError, PromotionError
from ml.pipeline.training import training_data
from ml.registry import promotion, registry_access
from ml.registry.manifest import metrics_from_tags, write_manifest
from ml.render_context import CHAMPION_ALIAS
from ml.training.model import BASELINE_FILE

DATA_ASSET_FILE = Path("azureml/data/training-data.yml")
ENVIRONMENT_FILE = Path("azureml/environments/training.yml")


def _resolve(value: str) -> str:
    """A literal value or `env:NAME` read from the process environment."""
    if not value.startswith("env:"):
        return value
    name = value.removeprefix("env:")
    if not os.environ.get(name):
        raise PipelineError(f"environment variable {name} is not set (needed to reach Azure ML)")
    return os.environ[name]


def workspace_client(env: Environment) -> Any:
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    if env.azure is None:
        raise PipelineError(f"environment {env.name} has no 'azure' section")
    return MLClient(
        DefaultAzureCredential(),
        subscription_id=_resolve(env.azure.subscription_id),
        resource_group_name=env.azure.resource_group,
        workspace_name=resource_names(env).workspace,
    )


def data_asset(rendered_ml: Path, training: TrainingData) -> Any:
    """The data asset for this training file: the rendered YAML, versioned by the file's fingerprint."""
    from azure.ai.ml import load_data

    asset = load_data(rendered_ml / DATA_ASSET_FILE)
    asset.version = asset_version(training.fingerprint)
    asset.path = str(training.path)
    asset.tags = {**(asset.tags or {}), "fingerprint": training.fingerprint, "rows": str(training.rows)}
    return asset


def pipeline_job(pipeline_path: Path, data_reference: str, overrides: dict[str, Any]) -> Any:
    """The rendered pipeline job with its data input pinned to one data asset version."""
    import yaml
    from azure.ai.ml import load_job

    declared = yaml.safe_load(pipeline_path.read_text(encoding="utf-8")).get("inputs") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise PipelineError(f"{pipeline_path}: no pipeline input(s) {', '.join(unknown)}")
    params = [{"inputs.data.path": data_reference}, *({f"inputs.{k}": v} for k, v in overrides.items())]
    job = load_job(pipeline_path, params_override=params)
    return job


def train(
    env: Environment,
    state: Path,
    pipeline_path: Path,
    source: Path | None,
    overrides: dict[str, Any],
    wait: bool = True,
) -> dict[str, Any]:
    """Submit the training pipeline to the environment's workspace; promote a new version to the registry."""
    from azure.ai.ml import load_environment

    rendered_ml = pipeline_path.parents[2]
    training = training_data(env, state, source)
    client = workspace_client(env)
    client.environments.create_or_update(load_environment(rendered_ml / ENVIRONMENT_FILE))
    asset = client.data.create_or_update(data_asset(rendered_ml, training))
    job = pipeline_job(pipeline_path, f"azureml:{asset.name}:{asset.version}", overrides)
    submitted = client.jobs.create_or_update(job)
    record: dict[str, Any] = {"job": submitted.name, "studio_url": submitted.studio_url}
    if not wait:
        return record
    client.jobs.stream(submitted.name)
    with tempfile.TemporaryDirectory() as folder:
        client.jobs.download(submitted.name, download_path=folder, output_name="registration")
        found = sorted(Path(folder).rglob(REGISTRATION_FILE))
        if not found:
            raise PipelineError(f"job {submitted.name}: output 'registration' has no {REGISTRATION_FILE}")
        registration = read_json(found[0].parent, REGISTRATION_FILE)
    record["registration"] = registration
    if registration["registered"]:
        requests = promotion.registry_requests(env, rendered_ml, str(registration["version"]))
        promotion.apply_registry_requests(env, client, requests)
    record["manifest"] = promote(env, state, str(registration["version"]))
    return record


def promote(env: Environment, state: Path, version: str) -> dict[str, Any]:
    """Point the environment at exactly this registry model version (never a label); writes the manifest.

    First gives the environment's workspace read access to the registry (`registry_access`), so the
    endpoint can pull the version it is pointed at.
    """
    from azure.ai.ml import MLClient
    from azure.core.exceptions import ResourceNotFoundError
    from azure.identity import DefaultAzureCredential

    if env.azure is None:
        raise PromotionError(f"environment {env.name} has no 'azure' section")
    registry_access.apply(
        registry_access.registry_access_deployment(env), _resolve(env.azure.subscription_id)
    )
    registry = resource_names(env).registry
    client = MLClient(DefaultAzureCredential(), registry_name=registry)
    try:
        model = client.models.get(env.model.name, version=version)
    except ResourceNotFoundError as exc:
        raise PromotionError(f"registry {registry}: no model {env.model.name} version {version}") from exc
    folder = state / "ml" / "model"
    shutil.rmtree(folder, ignore_errors=True)
    client.models.download(model.name, model.version, download_path=str(folder))
    baselines = sorted(folder.rglob(BASELINE_FILE))
    if not baselines:
        raise PromotionError(
            f"registry {registry}: {model.name} version {model.version} carries no {BASELINE_FILE}"
        )
    baseline = data_dir(state) / BASELINE_FILE
    baseline.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(baselines[0], baseline)
    uri = promotion.registry_model_uri(registry, model.name, str(model.version))
    record = {
        "environment": env.name,
        "model_name": model.name,
        "version": str(model.version),
        "alias": CHAMPION_ALIAS,
        "model_uri": uri,
        "model_path": str(baselines[0].parent),
        "data_fingerprint": (model.tags or {}).get("data_fingerprint"),
        "metrics": metrics_from_tags(model.tags or {}),
        "baseline_path": str(baseline.resolve()),
        "source": uri,
    }
    write_manifest(state, record)
    return record
