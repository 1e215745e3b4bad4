"""Registry access: each environment's workspace gets "AzureML Registry User" on the shared registry through
an ARM deployment into the registry's resource group (built offline, validated against the schemas)."""

from __future__ import annotations

import json

import pytest

from environments.arm import validate_template
from environments.loader import load_environment
from environments.naming import resource_names
from ml.registry.registry_access import REGISTRY_USER_ROLE, registry_access_deployment

AZURE_ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_the_access_deployment_is_schema_valid_and_targets_the_registry_group(name: str) -> None:
    env = load_environment(name)
    owner = load_environment("dev")
    deployment = registry_access_deployment(env)
    template = deployment.body["properties"]["template"]
    assert validate_template(template) == []
    assert deployment.body["properties"]["mode"] == "Incremental"
    # Deployed where the registry is; the workspace is reached in its own resource group.
    assert deployment.resource_group == owner.azure.resource_group
    names = resource_names(env)
    assert template["variables"]["workspaceId"] == (
        f"[resourceId('{env.azure.resource_group}', 'Microsoft.MachineLearningServices/workspaces', "
        f"'{names.workspace}')]"
    )
    assert f"'{resource_names(owner).registry}'" in template["variables"]["registryId"]
    (assignment,) = template["resources"]
    assert assignment["scope"] == "[variables('registryId')]"
    assert REGISTRY_USER_ROLE in template["variables"]["roleId"]
    assert "identity.principalId" in assignment["properties"]["principalId"]
    assert len(deployment.name) <= 64 and name in deployment.name
    json.dumps(deployment.body)  # the request body is plain JSON
    assert deployment.resource_id("0000").endswith(
        f"/resourceGroups/{owner.azure.resource_group}/providers/Microsoft.Resources/deployments/{deployment.name}"
    )


def test_every_environment_gets_its_own_assignment() -> None:
    names = {registry_access_deployment(load_environment(n)).name for n in AZURE_ENVIRONMENTS}
    assert len(names) == 3


def test_a_broken_assignment_is_caught_by_the_validator() -> None:
    template = registry_access_deployment(load_environment("staging")).body["properties"]["template"]
    template["resources"][0]["properties"]["principalTyp"] = "ServicePrincipal"
    assert any("principalTyp" in problem for problem in validate_template(template))
