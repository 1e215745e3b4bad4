"""The Azure rollout plan: each step's traffic and mirror settings on the rendered endpoint, through azure-ai-ml."""

from __future__ import annotations

import json

import pytest
from azure.ai.ml import load_online_endpoint
from marshmallow.exceptions import ValidationError

from environments.loader import load_environment
from ml.serving.azure_endpoint import rollout_plan


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_plan_mirrors_then_shifts_on_the_endpoint_entity(rendered_ml, env_name):
    settings = load_environment(env_name).rollout
    plan = rollout_plan(rendered_ml[env_name] / "azureml", settings, "blue", "green")
    assert plan[0]["traffic"] == {"blue": 100, "green": 0}
    assert plan[0]["mirror_traffic"] == {"green": settings.mirror_percent} and settings.mirror_percent <= 50
    assert [step["traffic"] for step in plan[1:]] == [
        {"blue": 100 - share, "green": share} for share in settings.shift_percents
    ]
    assert all(step["mirror_traffic"] == {} for step in plan[1:])
    assert all(step["bake_s"] == settings.step_bake_s for step in plan)


def test_azure_ai_ml_refuses_traffic_over_100(rendered_ml):
    with pytest.raises(ValidationError, match="sum to less than or equal to 100%"):
        load_online_endpoint(
            rendered_ml["dev"] / "azureml" / "endpoint.yml",
            params_override=[{"traffic": {"blue": 60, "green": 50}}],
        )


def test_the_rollout_command_prints_the_plan_offline(capsys) -> None:
    from ml.cli.rollout import main

    assert main(["staging", "--plan-only"]) == 0
    printed = json.loads(capsys.readouterr().out)
    settings = load_environment("staging").rollout
    assert [step["step"] for step in printed["steps"]] == [
        f"mirror {settings.mirror_percent}%",
        *[f"shift {share}%" for share in settings.shift_percents],
    ]
    assert printed["steps"][0]["mirror_traffic"] == {"green": settings.mirror_percent}
    assert printed["steps"][-1]["traffic"] == {"blue": 0, "green": 100}
    assert printed["old_bake_s"] == settings.old_bake_s
