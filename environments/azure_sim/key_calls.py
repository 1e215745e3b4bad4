"""The calls that keep and rotate the online endpoint's key, simulated (test code).

- Azure ML online endpoint keys: `listKeys` and `regenerateKeys` (body `{"keyType": "Primary"|"Secondary"}`):
  https://learn.microsoft.com/rest/api/azureml/online-endpoints/regenerate-keys. Each endpoint starts
  with two keys; regenerating one changes only that one.
- Key Vault references in a template deployment's parameters (`{"reference": {"keyVault": {"id"},
  "secretName"}}`): ARM reads the secret when it deploys, and only from a vault with
  `enabledForTemplateDeployment: true`, else the deployment fails:
  https://learn.microsoft.com/azure/azure-resource-manager/templates/key-vault-parameter. Secrets are
  the `Microsoft.KeyVault/vaults/secrets` resources written through ARM (their `properties.value`).
  A vault closed to the internet (`publicNetworkAccess: Disabled`) still lets ARM's template deployment
  service read it as a trusted service, only while `networkAcls.bypass` is `AzureServices`
  (https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints, trusted services).
- A streaming job's function updated on its own (PATCH or PUT `.../streamingjobs/<job>/functions/<name>`,
  https://learn.microsoft.com/rest/api/streamanalytics/2020-03-01/functions/update): merged into the
  job's definition, refused while the job runs (`rules.stream_job_stopped_before_change`).
Error codes and messages are ours where the pages name none.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from environments.azure_sim import rules
from environments.azure_sim.rules import ArmError

KEY_TYPES = {"primary": "primaryKey", "secondary": "secondaryKey"}


@dataclass
class EndpointKeys:
    """The two keys of every online endpoint, by endpoint id."""

    _keys: dict[str, dict[str, str]] = field(default_factory=dict)
    _generation: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def list(self, endpoint_id: str, name: str) -> dict[str, str]:
        keys = self._keys.setdefault(
            endpoint_id, {"primaryKey": f"key-of-{name}", "secondaryKey": f"second-key-of-{name}"}
        )
        return dict(keys)

    def regenerate(self, endpoint_id: str, name: str, body: dict[str, Any]) -> None:
        key_type = str(body.get("keyType", "")).lower()
        if key_type not in KEY_TYPES:
            raise ArmError(
                400, "InvalidKeyType", f"keyType must be Primary or Secondary, got {body.get('keyType')!r}"
            )
        self.list(endpoint_id, name)
        self._keys[endpoint_id][KEY_TYPES[key_type]] = f"{key_type}-{next(self._generation)}-of-{name}"


def resolve_key_vault_references(parameters: dict[str, Any], get: Any, key: Any) -> dict[str, Any]:
    """The deployment's parameters with every Key Vault reference replaced by the secret's value.

    `get(resource_id)` reads a stored resource; `key(resource_id)` is its path below the subscription."""
    resolved = {}
    for name, spec in parameters.items():
        reference = spec.get("reference") if isinstance(spec, dict) else None
        if reference is None:
            resolved[name] = spec
            continue
        vault_id = key(str(reference.get("keyVault", {}).get("id", "")))
        vault = get(vault_id)
        if vault is None:
            raise ArmError(
                400, "KeyVaultParameterReferenceNotFound", f"parameter {name}: vault {vault_id} not found"
            )
        if vault.get("properties", {}).get("enabledForTemplateDeployment") is not True:
            raise ArmError(
                400,
                "KeyVaultParameterReferenceNotAllowed",
                f"parameter {name}: vault {vault_id} does not allow template deployments "
                "(enabledForTemplateDeployment is not true)",
            )
        properties = vault.get("properties", {})
        closed = str(properties.get("publicNetworkAccess", "Enabled")).lower() == "disabled"
        if closed and "azureservices" not in str(properties.get("networkAcls", {}).get("bypass", "")).lower():
            raise ArmError(
                403,
                "ForbiddenByFirewall",
                f"parameter {name}: vault {vault_id} refuses public access and lets no trusted service "
                "through (networkAcls.bypass is not AzureServices)",
            )
        secret = get(f"{vault_id}/secrets/{reference.get('secretName')}")
        if secret is None or "value" not in secret.get("properties", {}):
            raise ArmError(
                400,
                "KeyVaultParameterReferenceSecretRetrieveFailed",
                f"parameter {name}: secret {reference.get('secretName')} not found in {vault_id}",
            )
        resolved[name] = {"value": secret["properties"]["value"]}
    return resolved


def update_function(
    job_id: str, job: dict[str, Any] | None, name: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Merge a function update into `job` (changed in place); returns the function as stored."""
    if job is None:
        raise ArmError(404, "ResourceNotFound", f"The Resource '{job_id}' was not found.")
    desired = copy.deepcopy(job)
    functions = desired["properties"].setdefault("functions", [])
    current = next((f for f in functions if f.get("name") == name), None)
    if current is None:
        current = {"name": name, "properties": {}}
        functions.append(current)
    _merge(current["properties"], body.get("properties", {}))
    rules.stream_job_stopped_before_change(job_id, job, desired)
    job["properties"]["functions"] = functions
    return {"id": f"{job_id}/functions/{name}", "name": name, "properties": current["properties"]}


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
