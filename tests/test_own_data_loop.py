"""The whole local loop on another schema, the user's own file and the user's own training code: the
breast-cancer example (examples/breast-cancer/, docs/own-data.md) through an override file only.

The quiet phase replays the held-out part of the file and raises no alert; the drift phase shifts
`mean_radius` by 3 standard deviations and the alert names that feature only (the score may follow it);
the alert retrains on the drifted labelled rows through the gate. The data file is written to a temporary
folder and named by an absolute path; the schema and the training component come from the example's
environment file by relative paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from environments.standins import free_port

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "breast-cancer"
EVENTS = 800
SHIFTED = "mean_radius"
pytestmark = [pytest.mark.services, pytest.mark.slow]


def _write_dataset(path: Path) -> None:
    subprocess.run(
        [sys.executable, str(EXAMPLE / "make_dataset.py"), "--out", str(path)], check=True, cwd=ROOT
    )


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    folder = tmp_path_factory.mktemp("own-data")
    data = folder / "breast-cancer.parquet"
    _write_dataset(data)
    state = folder / "state"
    overrides = folder / "overrides.yml"
    overrides.write_text(
        yaml.safe_dump(
            {
                "extends": str(EXAMPLE / "environment.yml"),
                "data": {"training_file": str(data)},
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
        [sys.executable, "-m", "environments", "deploy", "local", "--once", "--events", str(EVENTS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    return completed, state, data


def _summary(loop) -> dict:
    completed, state, _ = loop
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-3000:]
    return json.loads((state / "loop-summary.json").read_text())


def test_every_replayed_event_is_scored(loop) -> None:
    summary = _summary(loop)
    assert summary["serving_model"].startswith("breast-cancer v")
    events = summary["events"]
    assert events["events_in"] == 2 * EVENTS
    assert events["scored"] == 2 * EVENTS, events  # the shift stays inside the schema's ranges
    # Probe rows (the rollouts' smoke tests) are not counted; a rollout's mirrored copies may be.
    assert summary["rows_scored"] >= 2 * EVENTS


def test_training_never_saw_the_replayed_rows(loop) -> None:
    _summary(loop)
    _, state, data = loop
    everything = pd.read_parquet(data)
    held_out = set(pd.read_parquet(state / "data" / "held-out.parquet")["sample_id"])
    assert 0 < len(held_out) < len(everything)
    # The first training (the retraining after it trains on the drifted labelled file instead).
    first = (state / "logs" / "train.log").read_text()
    assert f"({len(everything) - len(held_out)} rows, sha256:" in first, first[-2000:]
    sent = pd.read_json(state / "loop" / "normal.jsonl", lines=True)["sample_id"]
    assert set(sent.str.split("-", n=2).str[2]) == held_out


def test_the_quiet_phase_raises_no_alert(loop) -> None:
    summary = _summary(loop)
    assert summary["alerts_fired_before_drift"] == []
    assert summary["features_breached_before_drift"] == []


def test_the_drift_phase_alerts_on_the_shifted_feature_only(loop) -> None:
    summary = _summary(loop)
    assert summary["alerts_fired_after_drift"]
    breached = set(summary["features_breached_after_drift"])
    assert SHIFTED in breached
    assert breached <= {SHIFTED, "score"}, breached


def test_the_alert_retrained_through_the_gate_with_the_team_s_training_code(loop) -> None:
    summary = _summary(loop)
    _, state, _ = loop
    retrain = summary["retrain"]
    assert retrain["status"] in ("rolled_out", "gate_rejected"), retrain
    if retrain["status"] == "gate_rejected":
        assert retrain["serving_kept"] is True
    train_logs = list((state / "ml" / "runs").glob("*/train/std_log.txt"))
    assert len(train_logs) == 2  # the first training and the retraining
    assert all("train_forest: roc_auc" in log.read_text() for log in train_logs)
