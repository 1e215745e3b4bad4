"""drift.yml's manual trigger runs the in-cloud schedule the deploy created: the same name, and the
Azure-only flags are refused where they mean nothing."""

from __future__ import annotations

import pytest

from environments.loader import load_environment
from environments.render import build_dir, render_environment
from monitoring.cli.drift_pipeline import drift_schedule, drift_schedule_name, main


def test_the_trigger_names_the_schedule_the_deploy_creates() -> None:
    env = load_environment("dev")
    render_environment("dev")
    pipeline = build_dir("dev") / "monitoring" / "azureml" / "pipelines" / "drift.yml"
    uri = "azureml://registries/sscore-registry/models/card-fraud/versions/7"
    schedule = drift_schedule(env, pipeline, uri, "11111111-1111-1111-1111-111111111111")
    assert schedule.name == drift_schedule_name(env) == "sscore-dev-drift"


def test_schedule_and_trigger_are_exclusive_and_azure_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["dev", "--schedule", "--trigger"])
    assert main(["local", "--trigger"]) == 1
    assert "--schedule and --trigger are for Azure environments" in capsys.readouterr().err
