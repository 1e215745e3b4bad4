"""The Azure apply layer, offline: request bodies, secure values, the health gate, the SDK it calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from environments.deploy.azure_apply import (
    ApplyError,
    _gate,
    deployment_body,
    resolve,
    run_deployment,
)
from environments.deploy.azure_state import AzureState
from environments.deploy.plan import Step, build_plan
from environments.loader import load_environment
from environments.render import render_environment


@dataclass
class RecordingDeployments:
    """The one method of the SDK's `deployments` operations group that apply uses, in memory."""

    state: str = "Succeeded"
    calls: list[tuple[str, str, dict]] = field(default_factory=list)

    def begin_create_or_update(self, resource_group: str, name: str, body: dict):
        self.calls.append((resource_group, name, body))
        result = SimpleNamespace(properties=SimpleNamespace(provisioning_state=self.state))
        return SimpleNamespace(result=lambda: result)


@pytest.fixture(scope="module")
def dev_plan(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("dev")
    render_environment("dev", out=out)
    return build_plan(load_environment("dev"), out, AzureState.empty())


def _job_step(plan) -> Step:
    return next(s for s in plan.steps if s.source.endswith("stream-job.json"))


def test_secure_values_fill_the_body_and_never_the_plan(dev_plan) -> None:
    step = _job_step(dev_plan)
    body = deployment_body(step, {"scoringApiKey": "k3y"})
    assert body["properties"]["parameters"]["scoringApiKey"] == {"value": "k3y"}
    assert "k3y" not in dev_plan.to_json()


def test_a_missing_secure_value_is_named(dev_plan) -> None:
    with pytest.raises(ApplyError, match="scoringApiKey"):
        deployment_body(_job_step(dev_plan), {})


def test_deployment_goes_to_the_resource_group_and_checks_the_outcome(dev_plan) -> None:
    step = next(s for s in dev_plan.steps if s.kind == "arm-deployment")
    deployments = RecordingDeployments()
    run_deployment(deployments, "rg-streamscore-dev", step, deployment_body(step, {}))
    ((group, name, body),) = deployments.calls
    assert (group, name) == ("rg-streamscore-dev", step.name)
    assert body["properties"]["mode"] == "Incremental"
    with pytest.raises(ApplyError, match="ended Failed"):
        run_deployment(RecordingDeployments(state="Failed"), "rg", step, deployment_body(step, {}))


def test_the_deployments_client_of_the_locked_sdk_has_the_operation() -> None:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.resource.deployments import DeploymentsMgmtClient

    client = DeploymentsMgmtClient(DefaultAzureCredential(), "00000000-0000-0000-0000-000000000000")
    assert callable(client.deployments.begin_create_or_update)


def test_gate_refuses_an_unhealthy_endpoint(tmp_path: Path) -> None:
    env = load_environment("dev")
    manifest = tmp_path / "build" / "dev" / "ml" / "endpoint.json"
    manifest.parent.mkdir(parents=True)
    step = Step(
        "gate",
        "endpoint-healthy",
        "x",
        {"manifest": "build/dev/ml/endpoint.json", "require": {"healthy": True}},
    )
    manifest.write_text(json.dumps({"healthy": False}))
    with pytest.raises(ApplyError, match="refusing to deploy Stream Analytics"):
        _gate(env, step, tmp_path)
    manifest.write_text(json.dumps({"healthy": True}))
    _gate(env, step, tmp_path)


def test_env_references_resolve_or_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SUBSCRIPTION", "abc")
    assert resolve("env:SOME_SUBSCRIPTION") == "abc"
    monkeypatch.delenv("SOME_SUBSCRIPTION")
    with pytest.raises(ApplyError, match="SOME_SUBSCRIPTION"):
        resolve("env:SOME_SUBSCRIPTION")
