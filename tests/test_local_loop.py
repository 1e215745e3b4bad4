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


def _deploy_local(folder: Path, events: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STREAMSCORE_OVERRIDES": str(folder / "overrides.yml"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    return subprocess.run(
        [sys.executable, "-m", "environments", "deploy", "local", "--once", "--events", str(events)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


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
    return _deploy_local(folder, 800), state


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
    events = summary["events"]  # the runtime's accounting of every event it read
    assert events["events_in"] == 1600
    assert events["in_flight"] == 0 and sum(events["dropped"].values()) == 0
    assert events["scored"] + events["dead_lettered"] == 1600 and events["scored"] >= 1200


def test_long_steps_show_their_progress_as_they_go(loop) -> None:
    """Training and retraining print each pipeline step while it runs (not a log tail of cut JSON at the
    end), and each wait step's line counts scored, dead-lettered and dropped events."""
    completed, _ = loop
    _summary(loop)
    shown = completed.stdout.splitlines()
    assert "    step train: card_fraud_train" in shown  # the training step, live
    assert [line for line in shown if line.startswith("    retrain:   step train: ")]  # retraining's, live
    assert not [line for line in shown if '"registration"' in line or line.strip() in ("{", "}")]
    counted = [line for line in shown if "events read: " in line]
    assert len(counted) == 2 and all(
        "scored" in x and "dead-lettered" in x and "dropped" in x for x in counted
    )


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


@pytest.mark.timeout(2400)  # two more whole loops
def test_second_and_third_runs_on_the_same_state_folder(loop) -> None:
    """The broker starts empty again while the runtime's checkpoint and the endpoint manifest (left
    `healthy: false` by the previous shutdown) are kept: each run still scores its events. Each run sends
    the first run's traffic again (same seeds and size), so its quiet phase is as quiet as the first's
    unless the previous runs' drifted rows and metrics are counted (300 rows alone cross the distance
    threshold by chance)."""
    _summary(loop)
    _, state = loop
    for run in (2, 3):
        completed = _deploy_local(state.parent, 800)
        output = completed.stdout + completed.stderr
        assert completed.returncode == 0, output[-4000:]
        assert f"run {run}, reusing the state" in output and f"run {run} on {state}" in output
        summary = json.loads((state / "loop-summary.json").read_text())
        assert summary["run"] == run and summary["endpoint_healthy"] is True
        assert summary["rows_scored"] >= 1200
        assert summary["events"]["events_in"] == 1600 and summary["events"]["in_flight"] == 0
        # Judged on this run's traffic only: the previous run's drifted rows (same export hour) and
        # drift metrics (same collector) must not make this run's quiet phase fire.
        assert summary["alerts_fired_before_drift"] == [], output[-4000:]
        assert summary["alerts_fired_after_drift"]
