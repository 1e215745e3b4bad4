"""The local drift pipeline against the real stand-ins: Parquet blobs on Azurite -> component -> collector,
then the local alert evaluator on the collector's metrics -> retraining (ML commands replaced by the
stand-in `standins/retrain_step.py`, which speaks their command-line contract).

Each test starts its own collector so metrics of one scenario never reach another's evaluation.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from azure.storage.blob import BlobServiceClient

from environments.loader import load_environment
from monitoring.testing import RunningCollector, drift_test_table, start_collector

pytestmark = pytest.mark.services

REPO = Path(__file__).resolve().parents[2]
STAND_IN = Path(__file__).resolve().parent / "standins" / "retrain_step.py"
ROWS = 20_000
HOUR = datetime(2026, 11, 29, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def env():
    return load_environment("local")


def _export_hour(azurite, container: str, env, scenario: str | None, seed: int) -> None:
    """One exported hour as the exporter writes it: {yyyy}/{MM}/{dd}/{HH}/part-0000.parquet."""
    table = drift_test_table(env.data_schema(), ROWS, seed=seed, scenario=scenario)
    times = [HOUR + timedelta(seconds=i * 3600 / ROWS) for i in range(ROWS)]
    table = table.append_column("time", pa.array(times, type=pa.timestamp("us", tz="UTC")))
    table = table.append_column("model_name", pa.array(["card-fraud"] * ROWS))
    table = table.append_column("model_version", pa.array(["3"] * ROWS))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    client = service.get_container_client(container)
    if not client.exists():
        client.create_container()
    client.upload_blob(HOUR.strftime("%Y/%m/%d/%H/part-0000.parquet"), buffer.getvalue(), overwrite=True)


def _run(
    *argv: str, collector: RunningCollector | None = None, blob: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m monitoring ...`, given the collector's connection string and query key."""
    return subprocess.run(
        [sys.executable, "-m", "monitoring", *argv],
        cwd=REPO,
        env={
            **os.environ,
            **(collector.environment if collector else {}),
            **({"TEST_BLOB_CONNECTION_STRING": blob} if blob else {}),
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _drift_run(env, azurite, collector, tmp_path: Path, scenario: str | None) -> Path:
    container = f"drift-{(scenario or 'none').replace('_', '-')}"
    _export_hour(azurite, container, env, scenario, seed=2)
    state = tmp_path / "state"
    (state / "data").mkdir(parents=True)
    # The baseline as `python -m ml pipeline` writes it: training features plus the model's score.
    pq.write_table(drift_test_table(env.data_schema(), ROWS, seed=1), state / "data" / "baseline.parquet")
    # The container name comes from the environment; point the run at this test's container.
    done = _run(
        "drift-pipeline",
        "local",
        "--from",
        HOUR.isoformat(),
        "--to",
        (HOUR + timedelta(hours=1)).isoformat(),
        "--collector",
        collector.url,
        "--blob-connection-string-env",
        "TEST_BLOB_CONNECTION_STRING",
        "--state-dir",
        str(state),
        "--container",
        container,
        collector=collector,
        blob=azurite.connection_string,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return state


def _retrain_flags(state: Path, gate: str) -> list[str]:
    (state / "serving.json").write_text(json.dumps({"version": "3"}), encoding="utf-8")
    stand_in = f"{shlex.quote(sys.executable)} {shlex.quote(str(STAND_IN))}"
    return [
        "--pipeline-command",
        f"{stand_in} pipeline --state {shlex.quote(str(state))} --gate {gate}",
        "--rollout-command",
        f"{stand_in} rollout --state {shlex.quote(str(state))}",
    ]


def _calls(state: Path) -> list[str]:
    log = state / "calls.log"
    return log.read_text(encoding="utf-8").split() if log.exists() else []


def test_no_drift_sends_metrics_and_fires_no_alert(env, azurite, tmp_path: Path) -> None:
    collector = start_collector(tmp_path / "collector")
    try:
        state = _drift_run(env, azurite, collector, tmp_path, None)
        rows = collector.query("metrics", name="drift_normalized_wasserstein_distance", dim_feature="amount")
        assert rows and rows[0]["dimensions"]["environment"] == "local"
        prediction = collector.query(
            "metrics", name="drift_normalized_wasserstein_distance", dim_feature="score"
        )
        assert prediction and prediction[0]["dimensions"]["version"] == "3"
        assert rows[0]["dimensions"]["model"] == "card-fraud" and rows[0]["dimensions"]["version"] == "3"
        reports = list((state / "monitoring" / "drift" / "reports").rglob("drift-report.html"))
        assert reports and (reports[0].parent / "drift-summary.png").read_bytes()[:4] == b"\x89PNG"
        done = _run(
            "alerts",
            "evaluate",
            "local",
            "--collector",
            collector.url,
            *_retrain_flags(state, "pass"),
            collector=collector,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        evaluation = json.loads(done.stdout.splitlines()[0])
        assert [r["fired"] for r in evaluation["rules"]] == [False, False]
        assert all(r["evaluated_splits"] > 0 for r in evaluation["rules"])
        assert _calls(state) == []
    finally:
        collector.stop()


def test_drift_fires_and_retrains_and_new_model_serves(env, azurite, tmp_path: Path) -> None:
    collector = start_collector(tmp_path / "collector")
    try:
        state = _drift_run(env, azurite, collector, tmp_path, "amount_inflation")
        # --since after the drifted metrics were sent (a later run on the same collector): nothing to judge.
        since = datetime.now(UTC).isoformat()
        later = _run(
            "alerts", "evaluate", "local", "--collector", collector.url, "--since", since, collector=collector
        )
        assert later.returncode == 0, later.stderr[-3000:]
        bounded = json.loads(later.stdout.splitlines()[0])
        assert bounded["since"] and [(r["fired"], r["evaluated_splits"]) for r in bounded["rules"]] == [
            (False, 0),
            (False, 0),
        ]
        # Loop mode: the alert fires in both rounds, and retraining starts once per firing.
        loop = ["--loop", "--interval", "0", "--max-rounds", "2"]
        done = _run(
            "alerts",
            "evaluate",
            "local",
            "--collector",
            collector.url,
            *loop,
            *_retrain_flags(state, "pass"),
            collector=collector,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        evaluation = json.loads(done.stdout.splitlines()[0])
        numeric = next(
            r for r in evaluation["rules"] if r["metric"] == "drift_normalized_wasserstein_distance"
        )
        # The test score follows the amount, so the prediction drifts with it.
        assert numeric["fired"] and sorted(b["feature"] for b in numeric["breaches"]) == ["amount", "score"]
        assert _calls(state) == ["pipeline", "rollout"]
        assert json.loads((state / "serving.json").read_text())["version"] == "4"
        assert "retrain: gate passed" in done.stderr
        assert sum(1 for line in done.stdout.splitlines() if line.startswith('{"at"')) == 2
    finally:
        collector.stop()


def test_failed_gate_stops_with_reason_and_keeps_serving_model(env, azurite, tmp_path: Path) -> None:
    collector = start_collector(tmp_path / "collector")
    try:
        state = _drift_run(env, azurite, collector, tmp_path, "category_mix_shift")
        done = _run(
            "alerts",
            "evaluate",
            "local",
            "--collector",
            collector.url,
            *_retrain_flags(state, "reject"),
            collector=collector,
        )
        assert done.returncode == 3, done.stderr[-3000:]
        evaluation = json.loads(done.stdout.splitlines()[0])
        categorical = next(r for r in evaluation["rules"] if r["metric"] == "drift_jensen_shannon_distance")
        assert categorical["fired"] and [b["feature"] for b in categorical["breaches"]] == [
            "merchant_category"
        ]
        outcome = json.loads(done.stdout.splitlines()[1])["retrain"]
        assert outcome["status"] == "gate_rejected" and outcome["serving_kept"]
        assert "not better by the margin" in outcome["reason"]
        assert _calls(state) == ["pipeline"]
        assert json.loads((state / "serving.json").read_text())["version"] == "3"
    finally:
        collector.stop()
