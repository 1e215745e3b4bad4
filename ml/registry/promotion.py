"""Promotion through the Azure ML registry: a model is trained once, in dev, and moved, never retrained.

After dev registers a version in its workspace, that version is shared into the registry together with
the training environment and the components it was built with (content-hashed versions, so each exists
once). Staging and prod deploy `azureml://registries/<registry>/models/<name>/versions/<v>`.

The request objects are built here from the rendered YAML, without a connection, so tests validate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from environments.model import Environment
from environments.naming import resource_names
from ml.registry.errors import RegistryError
from ml.registry.registry_writes import ensure_version
from ml.render_context import COMPONENTS

AZUREML_DIR = Path("azureml")


@dataclass(frozen=True)
class ShareModel:
    """Arguments of `MLClient.models.share`: the workspace version copied into the registry."""

    name: str
    version: str
    registry_name: str
    share_with_name: str
    share_with_version: str


@dataclass(frozen=True)
class RegistryRequests:
    """Everything one promotion writes into the registry."""

    model: ShareModel
    environment: Any  # azure.ai.ml.entities.Environment
    components: tuple[Any, ...]  # azure.ai.ml.entities.Component, environment pointing into the registry


def registry_model_uri(registry: str, name: str, version: str) -> str:
    return f"azureml://registries/{registry}/models/{name}/versions/{version}"


def registry_requests(env: Environment, rendered_ml: Path, version: str) -> RegistryRequests:
    """The registry writes for promoting model `version`, from the files rendered under `build/<env>/ml`."""
    from azure.ai.ml import load_component, load_environment
    from azure.ai.ml.entities import CommandComponent

    registry = resource_names(env).registry
    environment = load_environment(rendered_ml / AZUREML_DIR / "environments" / "training.yml")
    environment_ref = (
        f"azureml://registries/{registry}/environments/{environment.name}/versions/{environment.version}"
    )
    components = []
    for name in COMPONENTS:
        path = rendered_ml / AZUREML_DIR / "components" / f"{name}.yml"
        component = load_component(path)
        if not isinstance(component, CommandComponent):  # only a command component runs in an environment
            raise RegistryError(f"{path}: not a command component ({type(component).__name__})")
        component.environment = environment_ref
        components.append(component)
    share = ShareModel(env.model.name, version, registry, env.model.name, version)
    return RegistryRequests(share, environment, tuple(components))


def apply_registry_requests(
    env: Environment, workspace_client: Any, requests: RegistryRequests, registry_client: Any = None
) -> None:
    """Write the environment, components and model into the registry, each version only if missing
    (registry versions are immutable); `registry_client` defaults to one signed in as the workflow."""
    if registry_client is None:
        from azure.ai.ml import MLClient

        from environments.azure_credential import azure_credential

        registry_client = MLClient(azure_credential(), registry_name=requests.model.registry_name)
    ensure_version(registry_client.environments, requests.environment)
    for component in requests.components:
        ensure_version(registry_client.components, component)
    share = requests.model
    if _exists(registry_client.models, share.share_with_name, share.share_with_version):
        return  # shared before (a rerun, or a reused training run): registry versions are immutable
    workspace_client.models.share(
        name=share.name,
        version=share.version,
        registry_name=share.registry_name,
        share_with_name=share.share_with_name,
        share_with_version=share.share_with_version,
    )


def _exists(operations: Any, name: str, version: str) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        operations.get(name, version=version)
    except ResourceNotFoundError:
        return False
    return True
