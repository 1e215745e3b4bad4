"""The inference log under load and through an ingestion outage: score.py on the real azmlinfsrv sends
to the real collector, and every scored row is logged exactly once (or exactly the sampled rows)."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from environments.standins import free_port, wait_until
from ml.scoring.settings import ScoringSettings
from ml.serving.batches import request_body, stream_batch
from ml.serving.code_folder import stage_code
from ml.serving.inference_server import InferenceServer, start_inference_server
from monitoring.telemetry.records import is_sampled
from monitoring.telemetry.settings import CONNECTION_STRING_VAR, SAMPLING_RATIO_VAR, SPOOL_DIR_VAR
from monitoring.testing import RunningCollector, start_collector

BATCH_ROWS = 1000
LOSS_MARKERS = ("Queue full", "rows not sent")


def _server(
    folder: Path, model_dir: Path, collector: RunningCollector, version: str, **env: str
) -> InferenceServer:
    return start_inference_server(
        "blue",
        stage_code(folder / "code"),
        model_dir,
        ScoringSettings("card-fraud", version, "blue"),
        free_port(),
        folder / "azmlinfsrv.log",
        extra_env={
            CONNECTION_STRING_VAR: collector.connection_string,
            SPOOL_DIR_VAR: str(folder / "spool"),
            **env,
        },
    )


def _score(server: InferenceServer, schema, batches: int, run: str) -> list[str]:
    """Post `batches` batches of BATCH_ROWS rows back to back; returns the row ids that were scored."""
    ids: list[str] = []
    with httpx.Client(timeout=120) as client:
        for number in range(batches):
            rows = stream_batch(schema, BATCH_ROWS, seed=number)
            for index, row in enumerate(rows):
                row["transaction_id"] = f"{run}-{number}-{index}"
            answer = client.post(f"{server.base_url}/score", json=request_body(rows))
            assert answer.status_code == 200, answer.text
            assert len(answer.json()["Results"]) == BATCH_ROWS
            ids += [row["transaction_id"] for row in rows]
    return ids


def _logged(collector: RunningCollector, version: str, expected: int) -> Counter[str]:
    """Wait until `expected` rows of this model version are in the collector; then every logged id."""
    wait_until(
        lambda: collector.count(type="event", name="inference", dim_model_version=version) >= expected,
        timeout_s=300,
        what=f"{expected} inference rows of version {version} in the collector",
        interval_s=0.5,
    )
    return Counter(row["request_id"] for row in collector.query("inferences", dim_model_version=version))


def _loss_lines(log_path: Path) -> list[str]:
    return [line for line in log_path.read_text().splitlines() if any(m in line for m in LOSS_MARKERS)]


@pytest.mark.faults
@pytest.mark.parametrize(("ratio", "batches"), [(1.0, 20), (0.25, 8)])
def test_a_burst_logs_exactly_the_rows_the_rate_promises(
    tmp_path: Path, scoring_model_dir: Path, collector: RunningCollector, local_environment, ratio, batches
) -> None:
    version = f"burst-{uuid.uuid4().hex[:8]}"
    server = _server(tmp_path, scoring_model_dir, collector, version, **{SAMPLING_RATIO_VAR: str(ratio)})
    try:
        scored = _score(server, local_environment.data_schema(), batches, version)
        promised = {row_id for row_id in scored if is_sampled(row_id, ratio)}
        logged = _logged(collector, version, len(promised))
    finally:
        server.stop()
    assert set(logged) == promised
    assert max(logged.values()) == 1  # no row twice
    assert (ratio == 1.0) == (len(promised) == batches * BATCH_ROWS)
    assert _loss_lines(tmp_path / "azmlinfsrv.log") == []


@pytest.mark.faults
@pytest.mark.services
def test_rows_scored_while_ingestion_is_down_arrive_when_it_is_back(
    tmp_path: Path, scoring_model_dir: Path, local_environment
) -> None:
    version = f"outage-{uuid.uuid4().hex[:8]}"
    collector = start_collector(tmp_path / "collector")
    server = _server(tmp_path / "server", scoring_model_dir, collector, version)
    spool = tmp_path / "server" / "spool" / collector.ikey
    try:
        collector.stop()
        scored = _score(server, local_environment.data_schema(), 3, version)
        # Every row waits in the stack's own spool folder (not the exporter's shared default).
        wait_until(lambda: any(spool.glob("*.blob*")), timeout_s=60, what=f"retry files in {spool}")
        collector = start_collector(tmp_path / "collector", port=collector.port)
        # No new traffic: the resender alone must bring the rows.
        logged = _logged(collector, version, len(scored))
        assert set(logged) == set(scored) and max(logged.values()) == 1
        wait_until(lambda: not any(spool.glob("*.blob*")), timeout_s=60, what=f"{spool} emptied")
    finally:
        server.stop()
        collector.stop()
    assert _loss_lines(tmp_path / "server" / "azmlinfsrv.log") == []
