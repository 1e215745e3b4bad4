"""Where an environment's export reads from and writes to (pure, given the environment variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from environments.model import Environment
from environments.naming import resource_names
from environments.standins.well_known import azurite_connection_string
from export.errors import ExportConfigError
from export.sources.log_analytics import app_insights_resource_id

BLOB_CONNECTION_STRING_VAR = "STREAMSCORE_BLOB_CONNECTION_STRING"


@dataclass(frozen=True)
class LocalTarget:
    collector_url: str
    blob_connection_string: str
    container: str


@dataclass(frozen=True)
class AzureTarget:
    app_insights_resource_id: str
    storage_account: str
    container: str


def local_target(
    env: Environment,
    collector_url: str | None = None,
    blob_connection_string: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> LocalTarget:
    """Flags first, then STREAMSCORE_BLOB_CONNECTION_STRING, then Azurite's development account on
    `local.azurite_blob_port`; the collector on `local.collector_port`."""
    environ = os.environ if environ is None else environ
    if env.local is None:
        raise ExportConfigError(f"environment {env.name}: no 'local' section (ports of the stand-ins)")
    url = collector_url or f"http://127.0.0.1:{env.local.collector_port}"
    connection = (
        blob_connection_string
        or environ.get(BLOB_CONNECTION_STRING_VAR)
        or azurite_connection_string(env.local.azurite_blob_port)
    )
    return LocalTarget(url, connection, env.storage.inference_container)


def azure_target(env: Environment, environ: Mapping[str, str] | None = None) -> AzureTarget:
    """The App Insights resource and storage account of an Azure environment, by the shared naming."""
    if env.azure is None:
        raise ExportConfigError(f"environment {env.name}: no 'azure' section")
    names = resource_names(env)
    subscription = resolve_env_ref(env.azure.subscription_id, "azure.subscription_id", environ)
    resource_id = app_insights_resource_id(subscription, env.azure.resource_group, names.app_insights)
    return AzureTarget(resource_id, names.storage_account, env.storage.inference_container)


def resolve_env_ref(value: str, key: str, environ: Mapping[str, str] | None = None) -> str:
    """`env:NAME` -> the variable's value; a literal is returned as is."""
    if not value.startswith("env:"):
        return value
    environ = os.environ if environ is None else environ
    name = value.removeprefix("env:")
    resolved = environ.get(name, "").strip()
    if not resolved:
        raise ExportConfigError(f"{key} is {value} but the environment variable {name} is not set")
    return resolved
