"""What the Azure ML steps of a deployment do on Azure, in their order, for the plan to show (pure).

The steps run `python -m ml pipeline|rollout <env>` (ml/pipeline/azure_submit.py `train`/`promote`,
ml/serving/rollout.py over ml/serving/azure_endpoint.py); these lists name each Azure operation those
functions perform, so `--plan-only` shows data uploads, registry writes, model sharing and registry
access too, not only ARM deployments. A change to the order there changes the list here.
"""

from __future__ import annotations

from pathlib import Path

from environments.deploy.release import rendered_assets
from environments.model import Environment
from environments.naming import resource_names


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


def rollout_operations(env: Environment, build: Path) -> list[str]:
    """`python -m ml rollout <env>` on the managed online endpoint (blue/green)."""
    names = resource_names(env)
    workspace, registry = f"workspace {names.workspace}", f"registry {names.registry}"
    score = next(
        (
            f"{name}:{spec['version']}"
            for name, spec in rendered_assets(build / "ml")["environments"].items()
            if "score" in name
        ),
        "?",
    )
    endpoint = f"{workspace}: online endpoint {names.endpoint}"
    return [
        f"{endpoint}: create unless it exists",
        f"ARM deployment {names.base}-ml-endpoint-telemetry-role: Monitoring Metrics Publisher on "
        f"{names.app_insights} for the endpoint's identity",
        f"{registry}: create environment {score} unless that version exists",
        f"{endpoint}: create the idle deployment (blue/green) at 0% traffic",
        f"{endpoint}: smoke test the new deployment (a failed smoke test deletes it)",
        f"{endpoint}: mirror {env.rollout.mirror_percent}% of traffic to the new deployment, then "
        f"{', '.join(f'{share}%' for share in env.rollout.shift_percents)} of live traffic, each step judged "
        "against the previous deployment on the endpoint's Azure Monitor metrics (a regression moves all "
        "traffic back and deletes the new deployment)",
        f"{endpoint}: delete the previous deployment after {env.rollout.old_bake_s} s at 100%",
    ]


def drift_schedule_operations(env: Environment) -> list[str]:
    """`python -m monitoring drift-pipeline <env> --schedule`: the drift job on an Azure ML schedule."""
    names = resource_names(env)
    workspace = f"workspace {names.workspace}"
    return [
        f"registry {names.registry}: create the drift environment unless that version exists",
        f"{workspace}: create or update schedule {names.base}-drift of the drift pipeline job "
        "(hourly, baseline: the serving model version, "
        "APPLICATIONINSIGHTS_CONNECTION_STRING from the deployed Application Insights, signed in through "
        f"Entra ID as {names.drift_identity})",
    ]
