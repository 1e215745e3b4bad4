"""The offline deployment plan: ML before Stream Analytics, every template with its request body."""

from __future__ import annotations

from pathlib import Path

import pytest

from environments.deploy.plan import build_plan
from environments.loader import load_environment
from environments.render import render_environment


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def plan(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp(request.param)
    render_environment(request.param, out=out)
    return build_plan(load_environment(request.param), out)


def test_ml_comes_before_stream_analytics(plan) -> None:
    kinds = [step.kind for step in plan.steps]
    gate = kinds.index("gate")
    assert kinds.index("azureml") < gate
    assert kinds[-1] == "asa-start"
    after_ml = [s for s in plan.steps[gate + 1 :] if s.kind == "arm-deployment"]
    assert all("streaming" in s.source for s in after_ml)


def test_every_arm_template_is_deployed_with_its_body(plan) -> None:
    arm = [s for s in plan.steps if s.kind == "arm-deployment"]
    assert any(s.source == "environments/arm/shared-infra.json" for s in arm)
    for step in arm:
        body = step.request["properties"]
        assert body["mode"] == "Incremental"
        assert "resources" in body["template"]


def test_secure_parameters_are_never_in_the_plan(plan) -> None:
    for step in plan.steps:
        if step.kind != "arm-deployment":
            continue
        for name in step.secure_parameters:
            assert name not in step.request["properties"]["parameters"]


def test_plan_json_is_printable(plan, tmp_path: Path) -> None:
    text = plan.to_json()
    assert plan.environment in text


def test_stages_split_at_the_health_gate(plan) -> None:
    from environments.deploy.plan import select_stage

    ml = select_stage(plan, "ml")
    streaming = select_stage(plan, "streaming")
    assert ml.steps + streaming.steps == plan.steps
    assert streaming.steps[0].kind == "gate"
    assert all(step.kind != "asa-start" for step in ml.steps)


def test_the_stream_job_is_deployed_after_the_health_gate(plan) -> None:
    kinds = [step.kind for step in plan.steps]
    gate = kinds.index("gate")
    job = next(i for i, s in enumerate(plan.steps) if s.source.endswith("stream-job.json"))
    assert job > gate
    assert plan.steps[job].secure_parameters == ("scoringApiKey",)


def test_azure_ml_steps_carry_their_entities(plan) -> None:
    steps = {step.name: step for step in plan.steps}
    training = steps["train-or-promote"].request["entities"]
    rollout = steps["endpoint-rollout"].request["entities"]
    kinds = {entity["$schema"].rsplit("/", 1)[-1] for entity in [*training.values(), *rollout.values()]}
    assert "pipelineJob.schema.json" in kinds
    assert "commandComponent.schema.json" in kinds
    assert {e["$schema"].rsplit("/", 1)[-1] for e in rollout.values()} == {
        "managedOnlineEndpoint.schema.json",
        "managedOnlineDeployment.schema.json",
    }
