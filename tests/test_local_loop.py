"""The whole loop on loopback stand-ins, as `nox -s deploy-local` runs it: train, serve, stream, log,
export, drift, alert, retrain. Runs the real command in a subprocess with its own ports and state folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from environments.standins import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    folder = tmp_path_factory.mktemp("loop")
    state = folder / "state"
    overrides = folder / "overrides.yml"
    overrides.write_text(
        yaml.safe_dump(
            {
                "data": {"training_rows": 8000},
                "local": {
                    "state_dir": str(state),
                    "broker_port": free_port(),
                    "azurite_blob_port": free_port(),
                    "collector_port": free_port(),
                    "endpoint_port": free_port(),
                },
            }
        )
    )
    env = {**os.environ, "STREAMSCORE_OVERRIDES": str(overrides), "MLFLOW_DISABLE_TELEMETRY": "true"}
    completed = subprocess.run(
        [sys.executable, "-m", "environments", "deploy", "local", "--once", "--events", "800"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    return completed, state


def _summary(loop) -> dict:
    completed, state = loop
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return json.loads((state / "loop-summary.json").read_text())


def test_events_are_scored_and_logged(loop) -> None:
    summary = _summary(loop)
    assert summary["endpoint_healthy"] is True
    assert summary["scoring_uri"].startswith("http://127.0.0.1:")
    # 800 like the training data, then 800 drifted (some of those fail the range checks).
    assert summary["rows_scored"] >= 1200


def test_no_alert_before_drift_and_an_alert_after(loop) -> None:
    summary = _summary(loop)
    assert summary["alerts_fired_before_drift"] == []
    assert summary["alerts_fired_after_drift"]


def test_alert_started_retraining_through_the_gate(loop) -> None:
    retrain = _summary(loop)["retrain"]
    assert retrain["status"] in ("rolled_out", "gate_rejected")
    if retrain["status"] == "gate_rejected":
        assert retrain["serving_kept"] is True


def test_drift_report_was_written(loop) -> None:
    reports = _summary(loop)["drift_reports"]
    assert reports
    assert all(Path(report).is_file() for report in reports)


def test_every_stand_in_was_stopped(loop) -> None:
    _, state = loop
    overrides = yaml.safe_load((state.parent / "overrides.yml").read_text())
    from environments.standins.process import port_open

    for name, port in overrides["local"].items():
        if name.endswith("_port"):
            assert not port_open(port), f"{name} {port} still open after --once"
