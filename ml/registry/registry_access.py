"""Read access to the shared Azure ML registry for an environment's workspace ("AzureML Registry User").

Every environment's workspace uses models, components and environments from the one registry, which the
owning environment (`REGISTRY_OWNER`, dev) creates in its own resource group. The role assignment has to
be an extension resource on the registry, so it must be deployed into the registry's resource group: an
ARM template deployed to one resource group reaches a resource in another only through a nested
`Microsoft.Resources/deployments`, for which the offline schemas have no definition. So `ml-infra.json`
keeps one resource set in every environment, and this step deploys `registry_access_template(env)` into
the owner's resource group. There the registry is local to the deployment (`scope` on it is plain ARM)
and the workspace, in the environment's own resource group, is addressed across resource groups by
`resourceId(<resource group>, ...)` to read its identity's principal id. Idempotent: the assignment's
name is a GUID of registry, workspace and role.

Who runs it: only the registry's owner, so that no environment's identity needs write rights outside
its own resource group. dev's training run deploys its own workspace's access (in its own group); the
access of staging's and prod's workspaces is granted once, after their first infrastructure deploy, by
the registry owner: `python -m ml registry-access staging prod` (docs/identities.md).

The template is built and validated offline (`environments.arm.validate_template`); only `apply` calls
Azure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from environments.deploy.azure_clients import AzureClients
from environments.loader import load_environment
from environments.model import Environment
from environments.naming import resource_names
from ml.registry.errors import RegistryAccessError
from ml.render_context import REGISTRY_OWNER

# Built-in "AzureML Registry User": all actions on registry assets, read on the registry.
REGISTRY_USER_ROLE = "1823dd4f-9b8c-4ab6-ab4e-7397a3684615"
REGISTRY_USER_ROLE_NAME = "AzureML Registry User"
WORKSPACE_API_VERSION = "2026-05-01"
ROLE_ASSIGNMENT_API_VERSION = "2022-04-01"
DEPLOYMENT_API_VERSION = "2022-09-01"
ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


@dataclass(frozen=True)
class RegistryAccessDeployment:
    """An ARM deployment into the registry's resource group: where it goes and what it sends."""

    resource_group: str
    name: str
    body: dict[str, Any]

    def resource_id(self, subscription_id: str) -> str:
        return (
            f"/subscriptions/{subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Resources/deployments/{self.name}"
        )


def registry_access_template(env: Environment, owner: Environment) -> dict[str, Any]:
    """The ARM template granting `env`'s workspace identity the registry role (deployed in the owner's group)."""
    if env.azure is None:
        raise RegistryAccessError(f"environment {env.name} is not an Azure target")
    names = resource_names(env)
    registry = resource_names(owner).registry
    workspace_id = (
        f"[resourceId('{env.azure.resource_group}', 'Microsoft.MachineLearningServices/workspaces', "
        f"'{names.workspace}')]"
    )
    return {
        "$schema": ARM_SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": {
            "description": (
                f"AzureML Registry User on the shared registry {registry} for the workspace {names.workspace} "
                f"of {env.name}; deployed into the registry's resource group."
            )
        },
        "variables": {
            "registryId": f"[resourceId('Microsoft.MachineLearningServices/registries', '{registry}')]",
            "workspaceId": workspace_id,
            "roleId": (
                f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{REGISTRY_USER_ROLE}')]"
            ),
        },
        "resources": [
            {
                "type": "Microsoft.Authorization/roleAssignments",
                "apiVersion": ROLE_ASSIGNMENT_API_VERSION,
                "name": "[guid(variables('registryId'), variables('workspaceId'), variables('roleId'))]",
                "scope": "[variables('registryId')]",
                "properties": {
                    "description": (
                        f"The {env.name} workspace reads models, components and environments from the registry."
                    ),
                    "roleDefinitionId": "[variables('roleId')]",
                    "principalId": (
                        f"[reference(variables('workspaceId'), '{WORKSPACE_API_VERSION}', 'full')"
                        ".identity.principalId]"
                    ),
                    "principalType": "ServicePrincipal",
                },
            }
        ],
    }


def registry_access_deployment(env: Environment) -> RegistryAccessDeployment:
    """The deployment request for `env` (any Azure environment, the registry's owner included)."""
    owner = env if env.name == REGISTRY_OWNER else load_environment(REGISTRY_OWNER)
    if owner.azure is None:
        raise RegistryAccessError(f"the registry owner {owner.name} is not an Azure target")
    name = f"{resource_names(env).base}-ml-registry-access"[:64]
    body = {"properties": {"mode": "Incremental", "template": registry_access_template(env, owner)}}
    return RegistryAccessDeployment(owner.azure.resource_group, name, body)


def apply(deployment: RegistryAccessDeployment, clients: AzureClients) -> None:
    """Run the deployment and wait, through `clients` (apply's, in a deploy); raises when it does not
    succeed."""
    from azure.core.exceptions import HttpResponseError

    subscription_id = clients.subscription_id
    where = f"ARM deployment {deployment.name} in {deployment.resource_group} (registry access)"
    try:
        poller = clients.resources().begin_create_or_update_by_id(
            deployment.resource_id(subscription_id), deployment.body, api_version=DEPLOYMENT_API_VERSION
        )
        result = poller.result()
    except HttpResponseError as exc:
        raise RegistryAccessError(f"{where} failed: {exc}") from exc
    state = (result.properties or {}).get("provisioningState")
    if state != "Succeeded":
        raise RegistryAccessError(f"{where} ended {state}")
