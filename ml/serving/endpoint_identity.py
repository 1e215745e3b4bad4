"""The online endpoint's identity may publish telemetry to the environment's Application Insights.

Application Insights has local (instrumentation key) auth disabled (`DisableLocalAuth: true` in
`environments/templates/arm/shared-infra.json.j2`), so the deployments' exporter signs in as the
endpoint's system-assigned managed identity (`APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD`,
set by `ml/serving/azure_endpoint.py`), which needs "Monitoring Metrics Publisher" with the Application
Insights resource as its scope (https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).

That identity exists only once the endpoint does (Azure ML creates it with the endpoint and grants it the
image and model pulls itself: https://learn.microsoft.com/azure/machine-learning/how-to-access-resources-from-endpoints-managed-identities),
so the grant cannot sit in the infrastructure templates: the rollout deploys `telemetry_role_deployment(env)`
into the environment's resource group after creating the endpoint and before creating a deployment.
It reads the endpoint's principal id with `reference(..., 'full')`, and is idempotent (the assignment's
name is a GUID of component, endpoint and role). Built and validated offline (`environments.arm`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from environments.model import Environment
from environments.naming import resource_names
from ml.serving.errors import RolloutError

# Built-in "Monitoring Metrics Publisher" (publishes all telemetry to Application Insights, despite its name).
METRICS_PUBLISHER_ROLE = "3913510d-42f4-4e42-8a64-420c390055eb"
ENDPOINT_API_VERSION = "2026-05-01"
ROLE_ASSIGNMENT_API_VERSION = "2022-04-01"
ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


@dataclass(frozen=True)
class EndpointRoleDeployment:
    """An ARM deployment into the environment's resource group: its name and request body."""

    resource_group: str
    name: str
    body: dict[str, Any]


def telemetry_role_template(env: Environment) -> dict[str, Any]:
    """Monitoring Metrics Publisher on the `appi` component for the endpoint's system-assigned identity."""
    names = resource_names(env)
    endpoint_id = (
        "[resourceId('Microsoft.MachineLearningServices/workspaces/onlineEndpoints', "
        f"'{names.workspace}', '{names.endpoint}')]"
    )
    return {
        "$schema": ARM_SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": {
            "description": (
                f"The online endpoint {names.endpoint} of {env.name} signs its deployments' telemetry in to "
                f"{names.app_insights} through Entra ID (local auth is disabled there)."
            )
        },
        "variables": {
            "appInsightsId": f"[resourceId('Microsoft.Insights/components', '{names.app_insights}')]",
            "endpointId": endpoint_id,
            "roleId": (
                f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{METRICS_PUBLISHER_ROLE}')]"
            ),
        },
        "resources": [
            {
                "type": "Microsoft.Authorization/roleAssignments",
                "apiVersion": ROLE_ASSIGNMENT_API_VERSION,
                "name": "[guid(variables('appInsightsId'), variables('endpointId'), variables('roleId'))]",
                "scope": f"Microsoft.Insights/components/{names.app_insights}",
                "properties": {
                    "description": "The endpoint's deployments send the inference log and metrics through Entra ID.",
                    "roleDefinitionId": "[variables('roleId')]",
                    "principalId": (
                        f"[reference(variables('endpointId'), '{ENDPOINT_API_VERSION}', 'full').identity.principalId]"
                    ),
                    "principalType": "ServicePrincipal",
                },
            }
        ],
    }


def telemetry_role_deployment(env: Environment) -> EndpointRoleDeployment:
    """The deployment request of `telemetry_role_template(env)` (an Azure environment)."""
    if env.azure is None:
        raise RolloutError(f"environment {env.name} is not an Azure target")
    name = f"{resource_names(env).base}-ml-endpoint-telemetry-role"[:64]
    body = {"properties": {"mode": "Incremental", "template": telemetry_role_template(env)}}
    return EndpointRoleDeployment(env.azure.resource_group, name, body)


def grant_telemetry_publisher(deployments: Any, deployment: EndpointRoleDeployment) -> None:
    """Run the deployment through `deployments` (azure-mgmt-resource's operations group) and wait."""
    from azure.core.exceptions import HttpResponseError

    where = f"ARM deployment {deployment.name} in {deployment.resource_group} (endpoint telemetry role)"
    try:
        result = deployments.begin_create_or_update(
            deployment.resource_group, deployment.name, deployment.body
        ).result()
    except HttpResponseError as exc:
        raise RolloutError(f"{where} failed: {exc.message}") from exc
    state = getattr(result.properties, "provisioning_state", None)
    if state != "Succeeded":
        raise RolloutError(f"{where} ended {state}")
