"""No instrumentation key on Azure: Application Insights refuses it, and every sender signs in through
Entra ID as an identity holding Monitoring Metrics Publisher on that one component
(https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.arm import validate_template
from environments.loader import load_environment
from environments.naming import resource_names
from environments.render import render_environment
from environments.telemetry_variables import AUTHENTICATION_STRING_VAR, CONNECTION_STRING_VAR
from ml.serving.azure_endpoint import build_deployment, build_endpoint
from ml.serving.code_folder import stage_code
from ml.serving.endpoint_identity import METRICS_PUBLISHER_ROLE, telemetry_role_deployment
from ml.serving.manifests import ModelRef
from monitoring.telemetry.settings import resolve_settings

AZURE_ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def shared_infra(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    templates = {}
    for name in AZURE_ENVIRONMENTS:
        out = tmp_path_factory.mktemp(f"infra-{name}")
        render_environment(name, out=out)
        templates[name] = json.loads((out / "environments" / "arm" / "shared-infra.json").read_text())
    return templates


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_application_insights_refuses_its_key_in_every_environment(shared_infra, name: str) -> None:
    (component,) = [
        r for r in shared_infra[name]["resources"] if r["type"] == "Microsoft.Insights/components"
    ]
    assert component["properties"]["DisableLocalAuth"] is True


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_the_drift_identity_publishes_to_the_one_component(shared_infra, name: str) -> None:
    template, names = shared_infra[name], resource_names(load_environment(name))
    assert METRICS_PUBLISHER_ROLE in template["variables"]["monitoringMetricsPublisher"]
    (grant,) = [
        r
        for r in template["resources"]
        if r["type"] == "Microsoft.Authorization/roleAssignments"
        and r["properties"]["roleDefinitionId"] == "[variables('monitoringMetricsPublisher')]"
    ]
    assert grant["scope"] == f"Microsoft.Insights/components/{names.app_insights}"
    assert names.drift_identity in grant["properties"]["principalId"]


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_the_endpoint_identity_gets_the_publisher_role_on_the_component_only(name: str) -> None:
    env = load_environment(name)
    names = resource_names(env)
    deployment = telemetry_role_deployment(env)
    template = deployment.body["properties"]["template"]
    assert validate_template(template) == []
    assert deployment.resource_group == env.azure.resource_group and len(deployment.name) <= 64
    (grant,) = template["resources"]
    assert grant["scope"] == f"Microsoft.Insights/components/{names.app_insights}"
    assert METRICS_PUBLISHER_ROLE in template["variables"]["roleId"]
    assert grant["properties"]["roleDefinitionId"] == "[variables('roleId')]"
    # The endpoint's own (system-assigned) identity, read when the endpoint exists.
    assert f"'{names.workspace}', '{names.endpoint}'" in template["variables"]["endpointId"]
    assert grant["properties"]["principalId"].startswith("[reference(variables('endpointId')")
    assert grant["properties"]["principalId"].endswith(".identity.principalId]")


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_deployments_sign_in_as_the_endpoint_identity(rendered_ml: dict[str, Path], name: str) -> None:
    env = load_environment(name)
    folder = rendered_ml[name] / "azureml"
    stage_code(folder / "score-code")
    endpoint = build_endpoint(folder)
    assert endpoint._to_rest_online_endpoint(env.location).as_dict()["identity"]["type"] == "SystemAssigned"
    uri = f"azureml://registries/{resource_names(env).registry}/models/{env.model.name}/versions/3"
    deployment = build_deployment(folder, "green", ModelRef(env.model.name, "3", uri), "InstrumentationKey=k")
    variables = deployment.environment_variables
    assert variables[AUTHENTICATION_STRING_VAR] == "Authorization=AAD"
    assert deployment.app_insights_enabled is False, "Azure ML's own integration sends with the key"
    # What the exporter in the deployment makes of those variables: Entra ID, system-assigned identity.
    settings = resolve_settings("score", environ={CONNECTION_STRING_VAR: "InstrumentationKey=k", **variables})
    assert settings.entra_sign_in == "system-assigned"
