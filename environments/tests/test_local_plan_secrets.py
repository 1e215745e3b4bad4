"""Each step of the local loop gets only the secrets it uses (the plan is pure data)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from environments.deploy.local import _step_environment
from environments.deploy.local_plan import local_plan
from environments.loader import load_environment
from environments.local_secrets import (
    BLOB_VARIABLE,
    COLLECTOR_IKEY_VARIABLE,
    COLLECTOR_KEY_VARIABLE,
    KEY_VARIABLE,
    SECRET_VARIABLES,
    TELEMETRY_VARIABLE,
)


def _steps() -> dict:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    steps = local_plan(load_environment("local"), Path("/state"), 10, None, moment)
    return {step.name: step for step in steps}


def test_only_the_steps_that_use_a_secret_are_given_it() -> None:
    steps = _steps()
    given = {name: set(step.secrets) for name, step in steps.items() if step.secrets}
    assert given == {
        "collector": {COLLECTOR_IKEY_VARIABLE, COLLECTOR_KEY_VARIABLE},
        "endpoint": {KEY_VARIABLE, TELEMETRY_VARIABLE},
        "engine": {BLOB_VARIABLE, KEY_VARIABLE},
        "export": {BLOB_VARIABLE, COLLECTOR_KEY_VARIABLE},
        "drift": {BLOB_VARIABLE, TELEMETRY_VARIABLE},
        "alerts": {COLLECTOR_KEY_VARIABLE},
        "drifted-export": {BLOB_VARIABLE, COLLECTOR_KEY_VARIABLE},
        "drifted-drift": {BLOB_VARIABLE, TELEMETRY_VARIABLE},
        "retrain": {KEY_VARIABLE, COLLECTOR_KEY_VARIABLE},
    }


def test_a_step_environment_holds_the_plain_variables_and_only_its_secrets() -> None:
    steps = _steps()
    everything = {name: f"value-of-{name}" for name in SECRET_VARIABLES} | {"PYTHONUNBUFFERED": "1"}
    assert _step_environment(steps["traffic"], everything) == {"PYTHONUNBUFFERED": "1"}
    engine = _step_environment(steps["engine"], everything)
    assert set(engine) == {"PYTHONUNBUFFERED", BLOB_VARIABLE, KEY_VARIABLE}
