"""Settings the Azure drift job reads from Key Vault when it starts, never from its definition.

The job's definition (the Azure ML schedule) names the secret (`APPLICATIONINSIGHTS_CONNECTION_STRING_SECRET_URI`);
the value, written into the vault by ARM from the Application Insights component (`shared-infra.json`),
is read here with the job's managed identity (Key Vault Secrets User on that one secret) and set as
`APPLICATIONINSIGHTS_CONNECTION_STRING` in the job's process only, never printed.
REST: https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret
"""

from __future__ import annotations

import os
from collections.abc import Callable, MutableMapping
from typing import Any

from environments.telemetry_variables import CONNECTION_STRING_SECRET_VAR, CONNECTION_STRING_VAR
from monitoring.drift.errors import DriftError

KEY_VAULT_SCOPE = "https://vault.azure.net/.default"
KEY_VAULT_API_VERSION = "7.4"
# Azure ML sets it on compute that carries a user-assigned identity (the drift identity on the cluster).
IDENTITY_CLIENT_ID_VAR = "DEFAULT_IDENTITY_CLIENT_ID"


class SecretSettingError(DriftError):
    """A secret the job needs cannot be read (names the secret, never its value)."""


def read_secret(uri: str, credential: Any, transport: Any = None) -> str:
    """The current value of the Key Vault secret at `uri`, read as `credential`."""
    from azure.core import PipelineClient
    from azure.core.exceptions import HttpResponseError
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy
    from azure.core.rest import HttpRequest

    policies = [BearerTokenCredentialPolicy(credential, KEY_VAULT_SCOPE)]
    options = {} if transport is None else {"transport": transport}
    with PipelineClient(base_url=uri, policies=policies, **options) as client:
        response = client.send_request(HttpRequest("GET", f"{uri}?api-version={KEY_VAULT_API_VERSION}"))
        try:
            response.raise_for_status()
            return str(response.json()["value"])
        except (HttpResponseError, KeyError, ValueError) as exc:
            raise SecretSettingError(f"reading Key Vault secret {uri}: HTTP {response.status_code}") from exc


def resolve_secret_settings(environ: MutableMapping[str, str], read: Callable[[str], str]) -> list[str]:
    """Set each setting the environment names a secret for (and does not set itself) from `read(uri)`;
    returns the names set."""
    uri = environ.get(CONNECTION_STRING_SECRET_VAR)
    if not uri or environ.get(CONNECTION_STRING_VAR):
        return []
    environ[CONNECTION_STRING_VAR] = read(uri)
    return [CONNECTION_STRING_VAR]


def job_identity() -> Any:
    """The job's managed identity (the user-assigned one on the compute when Azure ML names it)."""
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=os.environ.get(IDENTITY_CLIENT_ID_VAR) or None)
