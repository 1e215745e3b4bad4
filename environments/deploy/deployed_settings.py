"""Settings an Azure ML step takes from a deployed resource at apply time, never from a file or a log.

The plan carries a reference (`{"resource": <id>, "property": <name>}`), apply reads the resource and
hands the value to the step's child process as an environment variable; the value is never written to
the plan, a rendered file or the console. The one setting so far: the Application Insights connection
string of the environment's `appi` resource (`shared-infra.json`), which the endpoint deployment and
the drift job need to send their telemetry to Azure Monitor (Azure ML injects only its own legacy key
otherwise). `ConnectionString` is a read-only property Azure computes for the component:
https://learn.microsoft.com/rest/api/application-insights/components/get
The drift job also gets the client id of its user-assigned identity (`clientId`, read-only:
https://learn.microsoft.com/rest/api/managedidentity/user-assigned-identities/get), so that it signs in
to Application Insights, whose local auth is disabled, as that identity; the export job likewise gets
its identity's client id (`export-job.json`, decision 0016). A reference may name the `api_version` its
resource is read with (default: Application Insights').
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from environments.errors import EnvironmentsError
from environments.model import Environment
from environments.naming import resource_names
from environments.telemetry_variables import CONNECTION_STRING_VAR, TELEMETRY_CLIENT_ID_VAR

APP_INSIGHTS_API_VERSION = "2020-02-02"
IDENTITY_API_VERSION = "2023-01-31"
CONNECTION_STRING_PROPERTY = "ConnectionString"
EXPORT_CLIENT_ID_VAR = "STREAMSCORE_EXPORT_CLIENT_ID"
"""The export job's identity's client id, handed to `python -m export schedule` (decision 0016)."""


class SettingError(EnvironmentsError):
    """A deployed resource does not give a setting a step needs (names the resource and property)."""


def app_insights_id(env: Environment) -> str:
    """The `appi` resource's id below the subscription."""
    assert env.azure is not None
    return (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.Insights/components/"
        f"{resource_names(env).app_insights}"
    )


def telemetry_reference(env: Environment) -> dict[str, dict[str, str]]:
    """`{APPLICATIONINSIGHTS_CONNECTION_STRING: reference}`: what a step carries in the plan."""
    return {CONNECTION_STRING_VAR: {"resource": app_insights_id(env), "property": CONNECTION_STRING_PROPERTY}}


def identity_client_id_reference(env: Environment, identity: str, variable: str) -> dict[str, dict[str, str]]:
    """`{variable: reference}` to the `clientId` of the user-assigned identity `identity`."""
    assert env.azure is not None
    resource = (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.ManagedIdentity/"
        f"userAssignedIdentities/{identity}"
    )
    return {variable: {"resource": resource, "property": "clientId", "api_version": IDENTITY_API_VERSION}}


def drift_sign_in_reference(env: Environment) -> dict[str, dict[str, str]]:
    """`{STREAMSCORE_TELEMETRY_CLIENT_ID: reference}` to the drift job's identity (shared-infra.json)."""
    return identity_client_id_reference(env, resource_names(env).drift_identity, TELEMETRY_CLIENT_ID_VAR)


def export_sign_in_reference(env: Environment) -> dict[str, dict[str, str]]:
    """`{STREAMSCORE_EXPORT_CLIENT_ID: reference}` to the export job's identity (export-job.json)."""
    return identity_client_id_reference(env, resource_names(env).export_identity, EXPORT_CLIENT_ID_VAR)


def telemetry_secret_uri(env: Environment) -> str:
    """The Key Vault secret ARM writes the connection string into (`shared-infra.json`): what the drift
    job's definition names instead of the value."""
    names = resource_names(env)
    return f"https://{names.key_vault}.vault.azure.net/secrets/{names.telemetry_secret}"


def resolve(
    references: dict[str, dict[str, str]], read_properties: Callable[[str, str], dict[str, Any]]
) -> dict[str, str]:
    """The values of `references`, reading each resource's properties once through
    `read_properties(resource, api_version)`."""
    read: dict[str, dict[str, Any]] = {}
    values = {}
    for variable, reference in references.items():
        resource = reference["resource"]
        if resource not in read:
            api_version = reference.get("api_version", APP_INSIGHTS_API_VERSION)
            read[resource] = read_properties(resource, api_version) or {}
        value = read[resource].get(reference["property"])
        if not value:
            raise SettingError(
                f"{variable}: {resource} has no property {reference['property']} (is it deployed?)"
            )
        values[variable] = str(value)
    return values
