"""Secure template parameters that ARM fills from Key Vault while it deploys: a reference, never a value.

A template declares such a parameter as `securestring` with the secret's name in its metadata,
`"metadata": {"streamscore": {"keyVaultSecret": "<secret>"}}`; apply hands ARM a Key Vault reference to
that secret of the environment's vault (`{"reference": {"keyVault": {"id"}, "secretName"}}`), which ARM
resolves itself (https://learn.microsoft.com/azure/azure-resource-manager/templates/key-vault-parameter:
the vault sets `enabledForTemplateDeployment`, the deploying identity holds
`Microsoft.KeyVault/vaults/deploy/action`). That works with the vault closed to the internet: Key Vault's
firewall does not apply to "deployment of secrets or keys through ARM templates", and the Azure Resource
Manager template deployment service is a trusted service of the vault ("Pass secure values during
deployment"; https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints; the
vault keeps `bypass: AzureServices`, which a vault with public access disabled keeps for trusted services:
https://learn.microsoft.com/azure/key-vault/general/secure-key-vault, "Disable public network access and
use Private Endpoints only"). So a workload outside the network (the retrain Consumption Logic App) gets a
private vault's secret at deploy time without reaching the vault at run time (decision 0016).

While the secret does not exist yet (a first deploy: the vault is created by the same deploy), a parameter
whose metadata also says `"emptyUntilStored": true` gets an empty value, and apply says so (the template
decides what empty means: the retrain workflow is deployed Disabled); any other fails the step, naming the
secret. (A securestring parameter has no default value: `environments/arm/rules.py`.)
"""

from __future__ import annotations

from typing import Any

from environments.errors import EnvironmentsError
from environments.model import Environment
from environments.naming import resource_names

KEY_VAULT_API_VERSION = "2023-07-01"
SECRET_METADATA = "keyVaultSecret"
EMPTY_UNTIL_STORED = "emptyUntilStored"


class VaultParameterError(EnvironmentsError):
    """A Key Vault parameter cannot be filled (names the parameter and the secret)."""


def vault_id(env: Environment) -> str:
    """The environment's vault, below the subscription."""
    if env.azure is None:
        raise VaultParameterError(f"environment {env.name} is not an Azure target")
    return (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.KeyVault/vaults/"
        f"{resource_names(env).key_vault}"
    )


def vault_reference(vault: str, secret: str, subscription_id: str) -> dict[str, Any]:
    """A deployment parameter that ARM resolves from `secret` of `vault` (an id below the subscription)."""
    return {
        "reference": {"keyVault": {"id": f"/subscriptions/{subscription_id}/{vault}"}, "secretName": secret}
    }


def _metadata(template: dict[str, Any], parameter: str) -> dict[str, Any]:
    spec = template.get("parameters", {}).get(parameter, {})
    return dict(spec.get("metadata", {}).get("streamscore", {}))


def declared_secret(template: dict[str, Any], parameter: str) -> str | None:
    """The Key Vault secret a template parameter's metadata names, if any."""
    secret = _metadata(template, parameter).get(SECRET_METADATA)
    return str(secret) if secret else None


def secret_exists(clients: Any, secret_id: str) -> bool:
    """Whether the secret exists, read through ARM (control plane: works from outside the network)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        clients.resources().get_by_id(
            f"/subscriptions/{clients.subscription_id}/{secret_id}", api_version=KEY_VAULT_API_VERSION
        )
    except ResourceNotFoundError:
        return False
    return True


def vault_parameter(
    env: Environment, template: dict[str, Any], parameter: str, secret: str, clients: Any
) -> dict[str, Any] | None:
    """The reference for `parameter`, or None while the secret does not exist and the parameter may be
    empty until then (`emptyUntilStored`); a missing secret otherwise fails."""
    vault = vault_id(env)
    if secret_exists(clients, f"{vault}/secrets/{secret}"):
        return vault_reference(vault, secret, clients.subscription_id)
    if _metadata(template, parameter).get(EMPTY_UNTIL_STORED) is True:
        return None
    raise VaultParameterError(
        f"parameter {parameter}: Key Vault secret {secret} does not exist in {resource_names(env).key_vault}; "
        "store it first (docs/identities.md)"
    )


def store_secret(env: Environment, clients: Any, secret: str, value: str, content_type: str) -> str:
    """Key Vault secret `secret` := `value`, written through ARM (`Microsoft.KeyVault/vaults/secrets`, a
    control-plane PUT: it works from outside the network, as the deploy's own writes do); the value is
    never logged. Returns the secret's id below the subscription."""
    if not value:
        raise VaultParameterError(f"secret {secret}: refusing to store an empty value")
    secret_id = f"{vault_id(env)}/secrets/{secret}"
    body = {"properties": {"value": value, "contentType": content_type}}
    clients.resources().begin_create_or_update_by_id(
        f"/subscriptions/{clients.subscription_id}/{secret_id}", body, api_version=KEY_VAULT_API_VERSION
    ).result()
    return secret_id
