"""What the Azure ML steps of a deployment do on Azure, in their order, for the plan to show (pure).

The steps run `python -m ml pipeline|rollout <env>` (ml/pipeline/azure_submit.py `train`/`promote`,
ml/serving/rollout.py over ml/serving/azure_endpoint.py); these lists name each Azure operation those
functions perform, so `--plan-only` shows data uploads, registry writes, model sharing and registry
access too, not only ARM deployments. A change to the order there changes the list here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from environments.deploy.azure_state import AzureState, endpoint_id
from environments.deploy.deployed_settings import telemetry_secret_uri
from environments.deploy.release import RELEASE_CREATOR, rendered_assets
from environments.endpoint_deployments import (
    DEFINITION_TAG,
    DEPLOYMENT_FILE,
    MODEL_VERSION_TAG,
    deployment_definition,
    next_deployment,
    serving_deployment,
)
from environments.loader import load_environment
from environments.model import Environment
from environments.naming import resource_names


def registry_owner(env: Environment) -> Environment:
    """The environment that owns the shared Azure ML registry (the release creator, dev)."""
    return env if env.name == RELEASE_CREATOR else load_environment(RELEASE_CREATOR)


def _registry_owner_group(owner: Environment) -> str:
    return owner.azure.resource_group if owner.azure else "?"


def _promote_operations(env: Environment, owner: Environment, version: str) -> list[str]:
    names = resource_names(env)
    registry = names.registry
    access = f"{names.base}-ml-registry-access"[:64]
    grant = (
        [
            f"ARM deployment {access} in {_registry_owner_group(owner)}: AzureML Registry User on registry "
            f"{registry} for workspace {names.workspace}"
        ]
        if env.name == owner.name
        else []  # granted once by the registry owner: python -m ml registry-access <env>
    )
    return [
        *grant,
        f"registry {registry}: read model {env.model.name} version {version}",
        f"registry {registry}: download model {env.model.name} version {version} (baseline)",
        f"write model manifest build/{env.name}/state/ml/model-manifest.json",
    ]


def train_operations(env: Environment, owner: Environment, build: Path) -> list[str]:
    """dev: train, then share what it registered into the registry, then point dev at it."""
    names = resource_names(env)
    workspace, registry = f"workspace {names.workspace}", f"registry {names.registry}"
    assets = rendered_assets(build / "ml")
    training_env = next(
        (f"{name}:{spec['version']}" for name, spec in assets["environments"].items() if "training" in name),
        "?",
    )
    components = [f"{name}:{version}" for name, version in sorted(assets["components"].items())]
    return [
        f"{workspace}: find the pipeline run named after the training inputs (code, components, data); "
        "a completed one is reused, one in progress awaited, and only otherwise:",
        f"{workspace}: create or update environment {training_env}",
        f"{workspace}: upload data asset training-data (version: the training file's fingerprint)",
        f"{workspace}: submit pipeline job training",
        f"{workspace}: await the pipeline run, download its output 'registration'",
        f"{registry}: create environment {training_env} unless that version exists (only if registered)",
        *(
            f"{registry}: create component {c} unless that version exists (only if registered)"
            for c in components
        ),
        f"{workspace}: share model {env.model.name} (registered version) into {registry} unless that version "
        "exists (only if registered)",
        *_promote_operations(env, owner, "(the production version)"),
    ]


def promote_operations(env: Environment, owner: Environment, version: str) -> list[str]:
    """staging, prod: the release's model version from the registry; nothing is trained."""
    return _promote_operations(env, owner, version)


def _score_environment(build: Path) -> tuple[str, str] | None:
    """(name, version) of the rendered inference environment."""
    environments = rendered_assets(build / "ml")["environments"]
    return next(((name, spec["version"]) for name, spec in environments.items() if "score" in name), None)


def registry_asset_id(owner: Environment, kind: str, name: str, version: str) -> str:
    """A registry asset version's resource id (the registry lives in its owner's resource group)."""
    return (
        f"resourceGroups/{_registry_owner_group(owner)}/providers/Microsoft.MachineLearningServices/"
        f"registries/{resource_names(owner).registry}/{kind}/{name}/versions/{version}"
    )


def rollout_registry_assets(owner: Environment, build: Path) -> list[str]:
    """The registry asset versions the rollout writes unless they exist (the state reader checks them)."""
    score = _score_environment(build)
    return [registry_asset_id(owner, "environments", *score)] if score else []


def _drift_environment(build: Path) -> tuple[str, str] | None:
    """(name, version) of the rendered drift environment."""
    environments = rendered_assets(build / "monitoring")["environments"]
    return next(((name, spec["version"]) for name, spec in environments.items() if "drift" in name), None)


def drift_registry_assets(owner: Environment, build: Path) -> list[str]:
    """The registry asset versions the drift schedule writes unless they exist."""
    drift = _drift_environment(build)
    return [registry_asset_id(owner, "environments", *drift)] if drift else []


def ml_registry_assets(owner: Environment, build: Path) -> list[str]:
    """Every registry asset version the Azure ML steps write unless it exists (the state reader checks)."""
    return [*rollout_registry_assets(owner, build), *drift_registry_assets(owner, build)]


def _workspace_id(env: Environment) -> str:
    assert env.azure is not None
    return (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.MachineLearningServices/workspaces/"
        f"{resource_names(env).workspace}"
    )


def export_workspace_assets(env: Environment, build: Path) -> list[str]:
    """The workspace asset versions the export schedule writes unless they exist: its environment."""
    environments = rendered_assets(build / "export")["environments"]
    return [
        f"{_workspace_id(env)}/environments/{name}/versions/{spec['version']}"
        for name, spec in environments.items()
    ]


def ml_asset_versions(env: Environment, build: Path) -> list[str]:
    """Every asset version (registry and workspace) the Azure ML steps of `env` write unless it exists."""
    return [*ml_registry_assets(registry_owner(env), build), *export_workspace_assets(env, build)]


def export_schedule_changes(env: Environment, build: Path, state: AzureState) -> list[str]:
    """The change requests of `python -m export schedule <env>`, in order: its environment unless that
    version exists, the pipeline's inline component, the schedule."""
    workspace = _workspace_id(env)
    return [
        *(f"PUT {a}" for a in export_workspace_assets(env, build) if a.lower() not in state.registry_assets),
        f"PUT {workspace}/{ANONYMOUS_COMPONENT}<content hash>",
        f"PUT {workspace}/schedules/{resource_names(env).base}-export",
    ]


def registry_access_id(env: Environment, owner: Environment) -> str:
    """The ARM deployment granting `env`'s workspace the registry role, in the owner's resource group
    (ml/registry/registry_access.py)."""
    name = f"{resource_names(env).base}-ml-registry-access"[:64]
    return f"resourceGroups/{_registry_owner_group(owner)}/providers/Microsoft.Resources/deployments/{name}"


def promote_changes(env: Environment, owner: Environment) -> list[str]:
    """The change requests of a promotion: the registry owner's own registry access (the others' is
    granted once by the owner); the model is read and downloaded, nothing else is written."""
    return [f"PUT {registry_access_id(env, owner)}"] if env.name == owner.name else []


ANONYMOUS_COMPONENT = "components/azureml_anonymous/versions/"
"""Where azure-ai-ml writes a pipeline's inline components; the version is azure-ai-ml's hash of the
component (`<content hash>` in the plan)."""


def drift_schedule_changes(env: Environment, owner: Environment, build: Path, state: AzureState) -> list[str]:
    """The change requests of `python -m monitoring drift-pipeline <env> --schedule`, in order."""
    assert env.azure is not None
    workspace = (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.MachineLearningServices/workspaces/"
        f"{resource_names(env).workspace}"
    )
    return [
        *(f"PUT {a}" for a in drift_registry_assets(owner, build) if a.lower() not in state.registry_assets),
        f"PUT {workspace}/{ANONYMOUS_COMPONENT}<content hash>",
        f"PUT {workspace}/schedules/{resource_names(env).base}-drift",
    ]


def rollout_unchanged(env: Environment, build: Path, state: AzureState, model_version: str | None) -> bool:
    """Whether the deployment serving now was created from the rendered definition and serves
    `model_version` (None, dev: the version training leaves, assumed the one serving), so that the
    rollout changes nothing (`python -m ml rollout` checks the same at apply time)."""
    tags = state.serving_tags or {}
    desired = deployment_definition((build / DEPLOYMENT_FILE).read_text(encoding="utf-8"))
    same_model = model_version is None or tags.get(MODEL_VERSION_TAG) == model_version
    return tags.get(DEFINITION_TAG) == desired and same_model


def rollout_changes(env: Environment, owner: Environment, build: Path, state: AzureState) -> list[str]:
    """The change requests `python -m ml rollout <env>` makes on Azure when it rolls out and its smoke
    test passes, in order (`METHOD resource id`), from what is deployed now; a failed smoke test deletes
    the new deployment instead of moving traffic."""
    endpoint = endpoint_id(env)
    previous = serving_deployment(state.endpoint_traffic)
    new = next_deployment(previous)
    assert env.azure is not None
    role = (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.Resources/deployments/"
        f"{resource_names(env).base}-ml-endpoint-telemetry-role"
    )
    return [
        *([f"PUT {endpoint}"] if state.endpoint_traffic is None else []),
        f"PUT {role}",  # Monitoring Metrics Publisher for the endpoint's identity (endpoint_identity.py)
        *(
            f"PUT {a}"
            for a in rollout_registry_assets(owner, build)
            if a.lower() not in state.registry_assets
        ),
        f"PUT {endpoint}/deployments/{new}",
        f"PUT {endpoint}",  # traffic: all to the new deployment
        *([f"DELETE {endpoint}/deployments/{previous}"] if previous else []),
    ]


def rollout_operations(env: Environment, owner: Environment, build: Path, state: AzureState) -> list[str]:
    """`python -m ml rollout <env>` on the managed online endpoint (blue/green), as `rollout_changes`."""
    names = resource_names(env)
    workspace, registry = f"workspace {names.workspace}", f"registry {names.registry}"
    score = _score_environment(build)
    endpoint = f"{workspace}: online endpoint {names.endpoint}"
    previous = serving_deployment(state.endpoint_traffic)
    new = next_deployment(previous)
    score_id = registry_asset_id(owner, "environments", *score).lower() if score else ""
    return [
        *([f"{endpoint}: create"] if state.endpoint_traffic is None else []),
        f"ARM deployment {names.base}-ml-endpoint-telemetry-role: Monitoring Metrics Publisher on "
        f"{names.app_insights} for the endpoint's identity",
        *(
            [f"{registry}: create environment {score[0]}:{score[1]}"]
            if score and score_id not in state.registry_assets
            else []
        ),
        f"{endpoint}: create deployment {new} (blue/green) at 0% traffic",
        f"{endpoint}: smoke test deployment {new}",
        f"{endpoint}: all traffic to {new} (a failed smoke test deletes {new} instead); the change recorded "
        "in the inference log (the progressive steps, judged on Azure Monitor, run with "
        f"`python -m ml rollout {env.name} --progressive`)",
        *([f"{endpoint}: delete the previous deployment {previous}"] if previous else []),
    ]


def rollout_request(
    env: Environment, owner: Environment, build: Path, state: AzureState, model_version: str | None
) -> dict[str, Any]:
    """The rollout step's `operations` and `changes`: none when the serving deployment already has this
    definition and model version; dev, whose model version training decides, then lists what a new
    version would do under `on_new_model`."""
    operations, changes = (
        rollout_operations(env, owner, build, state),
        rollout_changes(env, owner, build, state),
    )
    if not rollout_unchanged(env, build, state, model_version):
        return {"operations": operations, "changes": changes}
    serving = serving_deployment(state.endpoint_traffic)
    unchanged = f"online endpoint {resource_names(env).endpoint}: deployment {serving} serves this definition"
    if model_version is not None:
        return {
            "operations": [f"{unchanged} and version {model_version}: nothing to roll out"],
            "changes": [],
        }
    return {
        "operations": [f"{unchanged}: nothing to roll out unless training registers a new version"],
        "changes": [],
        "on_new_model": {"operations": operations, "changes": changes},
    }


def drift_schedule_operations(env: Environment) -> list[str]:
    """`python -m monitoring drift-pipeline <env> --schedule`: the drift job on an Azure ML schedule."""
    names = resource_names(env)
    workspace = f"workspace {names.workspace}"
    return [
        f"registry {names.registry}: create the drift environment unless that version exists",
        f"{workspace}: create or update schedule {names.base}-drift of the drift pipeline job "
        "(hourly, baseline: the serving model version; the job reads its Application Insights connection "
        f"string from Key Vault secret {telemetry_secret_uri(env)} when it starts and signs in through "
        f"Entra ID as {names.drift_identity})",
    ]


def export_schedule_operations(env: Environment) -> list[str]:
    """`python -m export schedule <env>`: the inference export on an Azure ML schedule (decision 0016)."""
    names = resource_names(env)
    every = env.monitoring.export_interval_minutes
    return [
        f"workspace {names.workspace}: create the export environment unless that version exists",
        f"workspace {names.workspace}: create or update schedule {names.base}-export of the export pipeline "
        f"job (every {every} minutes on compute export-cluster, inside the workspace's managed network; the "
        f"job signs in as {names.export_identity} and writes Parquet to the {env.storage.inference_container} "
        "container)",
    ]
