"""The Azure path of `python -m ml pipeline <env>`: the same rendered pipeline job, submitted with azure-ai-ml.

dev trains only when the training inputs changed (code and components by their content versions, the
pipeline, the data's fingerprint): the run is named after them, so a completed run of the same inputs is
reused, not trained again. Otherwise: upload the training data asset (version = content fingerprint),
create the training environment, submit the pipeline, wait, and share a newly registered version into
the registry.
staging and prod promote: they take a registry version and write it into their manifest.
Request objects (`data_asset`, `pipeline_job`) are built without a connection and validated in tests.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from environments.asset_versions import content_version
from environments.deploy.azure_clients import AzureClients, session_clients
from environments.deploy.release import rendered_assets
from environments.deploy.role_propagation import RoleNotInEffectError, deploy_principal, while_role_propagates
from environments.model import Environment
from environments.naming import resource_names
from environments.unique_keys import load_yaml
from ml.components.step_files import REGISTRATION_FILE, read_json
from ml.data import feedback_store
from ml.data.feedback_store import FeedbackFiles
from ml.data.store import TrainingData, data_dir
from ml.data.versions import DataVersion
from ml.pipeline.azure_training_data import azure_data, download_version
from ml.pipeline.errors import PipelineError, PromotionError
from ml.pipeline.training import training_data
from ml.registry import promotion, registry_access
from ml.registry.manifest import metrics_from_tags, write_manifest
from ml.render_context import CHAMPION_ALIAS, REGISTRY_OWNER
from ml.training.model import BASELINE_FILE

# Azure ML job statuses: https://learn.microsoft.com/python/api/azure-ai-ml/azure.ai.ml.entities.job
COMPLETED = frozenset({"Completed"})
ENDED_WITHOUT_RESULT = frozenset({"Failed", "Canceled", "NotResponding"})
MAX_ATTEMPTS = 20
POLL_SECONDS = 30
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


def _clients(env: Environment) -> AzureClients:
    """apply's clients when the deploy runs this step (`azure_session`), else `azure_credential()`
    on the environment's subscription."""
    if env.azure is None:
        raise PipelineError(f"environment {env.name} has no 'azure' section")
    subscription = env.azure.subscription_id
    return session_clients(lambda: _resolve(subscription))


def workspace_client(env: Environment) -> Any:
    """azure-ai-ml's MLClient on the environment's workspace (`_clients`)."""
    assert env.azure is not None
    return _clients(env).ml(env.azure.resource_group, resource_names(env).workspace)


def feedback_container(env: Environment) -> Any:
    """The environment's feedback container, on the session's clients (decision 0015; by hand:
    `azure_credential()`), signed in as the deploy identity in the workflow (Storage Blob Data Reader
    on the container, docs/identities.md)."""
    clients = _clients(env)
    return feedback_store.container_client(env, dict(os.environ), clients.credential, clients.transport)


def data_asset(rendered_ml: Path, training: TrainingData, version: int) -> Any:
    """The data asset version `version` for this training file: the rendered YAML, tagged with the
    file's fingerprint (which the next registration compares, `ml/data/versions.py`)."""
    from azure.ai.ml import load_data

    asset = load_data(rendered_ml / DATA_ASSET_FILE)
    asset.version = str(version)
    asset.path = str(training.path)
    asset.tags = {
        **(asset.tags or {}),
        "fingerprint": training.fingerprint,
        "rows": str(training.rows),
        "source": training.source,
    }
    return asset


def workspace_data_versions(client: Any, name: str) -> list[DataVersion]:
    """The numbered versions of the workspace's data asset `name` (oldest first), with their fingerprints."""
    found = []
    for asset in client.data.list(name=name):
        tags = asset.tags or {}
        if str(asset.version).isdigit() and "fingerprint" in tags:
            found.append(
                DataVersion(
                    int(asset.version), tags["fingerprint"], int(tags.get("rows", 0)), tags.get("source", "")
                )
            )
    return sorted(found, key=lambda version: version.version)


def pipeline_job(pipeline_path: Path, data_reference: str, overrides: dict[str, Any]) -> Any:
    """The rendered pipeline job with its data input pinned to one data asset version."""
    from azure.ai.ml import load_job

    declared = load_yaml(pipeline_path.read_text(encoding="utf-8")).get("inputs") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise PipelineError(f"{pipeline_path}: no pipeline input(s) {', '.join(unknown)}")
    params = [{"inputs.data.path": data_reference}, *({f"inputs.{k}": v} for k, v in overrides.items())]
    job = load_job(pipeline_path, params_override=params)
    return job


def training_job_name(
    env: Environment, rendered_ml: Path, pipeline_path: Path, data_fingerprint: str, overrides: dict[str, Any]
) -> str:
    """The name of the pipeline run for these inputs: the training environment's and components' content
    versions, the pipeline job, the data's fingerprint and the overrides. Azure ML job names are unique
    in a workspace, so a run of the same inputs is found by name instead of trained again."""
    assets = rendered_assets(rendered_ml)
    parts = [
        json.dumps(assets, sort_keys=True).encode(),
        pipeline_path.read_bytes(),
        data_fingerprint.encode(),
        json.dumps(overrides, sort_keys=True).encode(),
    ]
    return f"{env.model.name}-train-{content_version(parts)}"


def training_run(base: str, status_of: Callable[[str], str | None]) -> tuple[str, str]:
    """(job name, action) for a training run of the inputs named `base`: `reuse` a completed run,
    `await` one in progress, else `submit` under the first name not taken (a failed or canceled run
    keeps its name, so a rerun after it gets `<base>-2`, `<base>-3`, ...)."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        name = base if attempt == 1 else f"{base}-{attempt}"
        status = status_of(name)
        if status is None:
            return name, "submit"
        if status in COMPLETED:
            return name, "reuse"
        if status not in ENDED_WITHOUT_RESULT:
            return name, "await"
    raise PipelineError(f"training run {base}: {MAX_ATTEMPTS} attempts failed; fix the pipeline first")


def _status(client: Any, name: str) -> str | None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return str(client.jobs.get(name).status)
    except ResourceNotFoundError:
        return None


def await_run(
    client: Any, name: str, minutes: float | None, sleep: Callable[[float], None] = time.sleep
) -> str:
    """Wait for run `name` to end, at most `minutes` (None: until it ends); returns its status.

    The workflow awaits in a step of its own, after the submit; the client's sign-in renews itself
    however long the run takes (environments/azure_credential.py, decision 0024)."""
    deadline = None if minutes is None else time.monotonic() + minutes * 60
    while True:
        status = _status(client, name) or "NotFound"
        if status in COMPLETED or status in ENDED_WITHOUT_RESULT or status == "NotFound":
            return status
        if deadline is not None and time.monotonic() >= deadline:
            return status
        sleep(POLL_SECONDS)


def train(
    env: Environment,
    state: Path,
    pipeline_path: Path,
    source: Path | None,
    overrides: dict[str, Any],
    wait: bool = True,
    await_minutes: float | None = None,
    read_feedback: Callable[[], FeedbackFiles] | None = None,
) -> dict[str, Any]:
    """Train only when the training inputs changed: reuse a completed run of the same inputs, await one
    in progress, else submit; then share a newly registered version into the registry.

    `wait=False` returns once the run is submitted (or found); `await_minutes` waits at most that long
    and returns while the run is still going (the next workflow step awaits again). The training data is
    the data asset's newest version with the environment's feedback container merged in
    (`azure_training_data`); `read_feedback` replaces that container's reader."""
    from azure.ai.ml import load_data, load_environment

    rendered_ml = pipeline_path.parents[2]
    clients = _clients(env)
    client = workspace_client(env)
    asset_name = str(load_data(rendered_ml / DATA_ASSET_FILE).name)
    existing = workspace_data_versions(client, asset_name)
    # The newest version plus new labelled feedback (decision 0018); the seed when there is none yet.
    data = azure_data(
        existing,
        (lambda: training_data(env, state, source)) if source is not None or not existing else None,
        download_version(client, asset_name),
        read_feedback or (lambda: feedback_store.read_feedback(feedback_container(env), env.data_schema())),
        state,
        env.data_schema(),
    )
    base = training_job_name(env, rendered_ml, pipeline_path, data.fingerprint, overrides)
    name, action = training_run(base, lambda job: _status(client, job))
    record: dict[str, Any] = {"job": name, "action": action, "data": data.record()}
    if action == "submit":
        client.environments.create_or_update(load_environment(rendered_ml / ENVIRONMENT_FILE))
        # Version N+1 unless a version holds this content (the first is 1): `ml/data/versions.py`.
        if data.upload is not None:
            client.data.create_or_update(data_asset(rendered_ml, data.upload, data.version))
        job = pipeline_job(pipeline_path, f"azureml:{asset_name}:{data.version}", overrides)
        job.name = name
        record["studio_url"] = client.jobs.create_or_update(job).studio_url
    if not wait:
        return record
    status = await_run(client, name, await_minutes, clients.sleep)
    record["status"] = status
    if status not in COMPLETED:
        if await_minutes is not None and status not in ENDED_WITHOUT_RESULT:
            return record  # still running: the next step awaits it
        raise PipelineError(f"training run {name} ended {status}: {record.get('studio_url', name)}")
    if await_minutes is not None:
        return record
    with tempfile.TemporaryDirectory() as folder:
        client.jobs.download(name, download_path=folder, output_name="registration")
        found = sorted(Path(folder).rglob(REGISTRATION_FILE))
        if not found:
            raise PipelineError(f"job {name}: output 'registration' has no {REGISTRATION_FILE}")
        registration = read_json(found[0].parent, REGISTRATION_FILE)
    record["registration"] = registration
    if registration["registered"]:
        requests = promotion.registry_requests(env, rendered_ml, str(registration["version"]))
        registry = clients.ml_registry(resource_names(env).registry)
        promotion.apply_registry_requests(env, client, requests, registry)
    record["manifest"] = promote(env, state, str(registration["version"]))
    return record


def promote(env: Environment, state: Path, version: str) -> dict[str, Any]:
    """Point the environment at exactly this registry model version (never a label); writes the manifest.

    The registry's owner (dev) first grants its own workspace access to the registry (`registry_access`,
    a deployment into its own resource group). Staging and prod write nothing outside their resource
    group: their workspaces' access was granted once by the registry owner
    (`python -m ml registry-access staging prod`, docs/identities.md); without it the read below fails
    and says so.
    """
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    if env.azure is None:
        raise PromotionError(f"environment {env.name} has no 'azure' section")
    clients = _clients(env)
    if env.name == REGISTRY_OWNER:
        registry_access.apply(registry_access.registry_access_deployment(env), clients)
    registry = resource_names(env).registry
    client = clients.ml_registry(registry)
    try:
        # A registry role granted just before this deploy may not be in effect yet (docs/identities.md).
        model = while_role_propagates(
            lambda: client.models.get(env.model.name, version=version),
            principal=deploy_principal(),
            role=registry_access.REGISTRY_USER_ROLE_NAME,
            scope=f"registry {registry}",
            sleep=clients.sleep,
        )
    except RoleNotInEffectError as exc:
        raise PromotionError(str(exc)) from exc
    except ResourceNotFoundError as exc:
        raise PromotionError(f"registry {registry}: no model {env.model.name} version {version}") from exc
    except HttpResponseError as exc:
        if exc.status_code != 403:
            raise
        raise PromotionError(
            f"registry {registry}: {env.name} may not read it ({exc.message}); the registry owner grants "
            f"access once: python -m ml registry-access {env.name} (docs/identities.md)"
        ) from exc
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
