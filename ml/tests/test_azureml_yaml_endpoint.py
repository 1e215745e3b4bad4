"""Endpoint, deployment and inference environment YAML: rendered per environment, validated by azure-ai-ml."""

from __future__ import annotations

import hashlib
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from azure.ai.ml import load_environment as load_azureml_environment
from azure.ai.ml import load_online_deployment

from environments.loader import load_environment
from environments.naming import resource_names
from environments.render import render_environment
from ml.serving.azure_endpoint import build_deployment, build_endpoint
from ml.serving.code_folder import ENTRY_SCRIPT, stage_code
from ml.serving.manifests import ModelRef

AZURE_ENVIRONMENTS = ("dev", "staging", "prod")
PINS = Path(__file__).resolve().parents[1] / "templates" / "azureml" / "environment-score-pins.jinja"


@pytest.fixture(scope="module", params=AZURE_ENVIRONMENTS)
def rendered(request, tmp_path_factory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp(f"render-{request.param}")
    render_environment(request.param, out=out)
    folder = out / "ml" / "azureml"
    stage_code(folder / "score-code")
    return request.param, folder


def test_endpoint_is_key_authenticated_and_named_per_environment(rendered):
    name, folder = rendered
    env = load_environment(name)
    endpoint = build_endpoint(folder)
    assert endpoint.name == resource_names(env).endpoint
    assert endpoint.auth_mode == "key"
    body = endpoint._to_rest_online_endpoint(env.location).as_dict()
    assert body["properties"]["authMode"] == "Key"
    assert (
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json"
        in (folder / "endpoint.yml").read_text()
    )


def test_deployment_carries_size_probes_and_request_settings(rendered):
    name, folder = rendered
    env = load_environment(name)
    deployment = load_online_deployment(folder / "deployment.yml")
    assert deployment.endpoint_name == resource_names(env).endpoint
    assert deployment.instance_type == env.endpoint.instance_type
    assert deployment.instance_count == env.endpoint.instance_count
    assert deployment.app_insights_enabled is False  # keyed ingestion is refused (DisableLocalAuth)
    assert deployment.code_configuration.scoring_script == ENTRY_SCRIPT
    assert deployment.request_settings.request_timeout_ms == env.endpoint.request.request_timeout_ms
    assert deployment.request_settings.max_concurrent_requests_per_instance == (
        env.endpoint.request.max_concurrent_requests_per_instance
    )
    assert deployment.liveness_probe.initial_delay and deployment.readiness_probe.period
    body = deployment._to_rest_object(location=env.location).as_dict()["properties"]
    assert body["endpointComputeType"] == "Managed"
    assert body["livenessProbe"]["failureThreshold"] >= 1 and body["readinessProbe"]["timeout"] == "PT2S"


def test_rollout_pins_the_manifest_model_and_names_the_deployment(rendered):
    name, folder = rendered
    env = load_environment(name)
    uri = f"azureml://registries/{resource_names(env).registry}/models/{env.model.name}/versions/7"
    model = ModelRef(env.model.name, "7", uri)

    deployment = build_deployment(folder, "green", model, connection_string="InstrumentationKey=x")

    assert deployment.name == "green" and deployment.model == uri
    variables = deployment.environment_variables
    assert variables["SCORING_MODEL_VERSION"] == "7" and variables["SCORING_DEPLOYMENT"] == "green"
    assert variables["APPLICATIONINSIGHTS_CONNECTION_STRING"] == "InstrumentationKey=x"
    assert deployment._to_rest_object(location=env.location).as_dict()["properties"]["model"] == uri
    assert "InstrumentationKey" not in (folder / "deployment.yml").read_text()


def test_inference_environment_pins_the_locked_versions(rendered):
    _, folder = rendered
    environment = load_azureml_environment(folder / "environment-score.yml")
    requirements = environment.conda_file["dependencies"][-1]["pip"]
    assert requirements, "the inference environment lists no pip requirements"
    for requirement in requirements:
        package, pinned = requirement.split("==")
        assert version(package) == pinned, f"{package}: pinned {pinned}, locked {version(package)}"
    expected = hashlib.sha256("\n".join([environment.image, *requirements]).encode()).hexdigest()[:12]
    assert environment.version == expected, f"set score_environment_version to {expected!r} in {PINS}"
    assert re.search(
        rf"/environments/{environment.name}/versions/{expected}$", _deployment_environment(folder)
    )


def _deployment_environment(folder: Path) -> str:
    return str(load_online_deployment(folder / "deployment.yml").environment)
