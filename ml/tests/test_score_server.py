"""score.py on a real azmlinfsrv: loopback only, and one inference record per row to the real collector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from environments.standins import free_port, wait_until
from ml.scoring.settings import ScoringSettings
from ml.serving.batches import request_body, stream_batch
from ml.serving.code_folder import stage_code
from ml.serving.inference_server import InferenceServer, start_inference_server


@pytest.fixture(scope="module")
def server(tmp_path_factory, scoring_model_dir, collector) -> Iterator[InferenceServer]:
    folder = tmp_path_factory.mktemp("score-server")
    running = start_inference_server(
        "blue",
        stage_code(folder / "code"),
        scoring_model_dir,
        ScoringSettings("card-fraud", "5", "blue"),
        free_port(),
        folder / "azmlinfsrv.log",
        extra_env={"APPLICATIONINSIGHTS_CONNECTION_STRING": collector.connection_string},
    )
    yield running
    running.stop()


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_server_listens_on_loopback_only(server):
    assert _listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1, not 0.0.0.0 (00000000)


def test_every_row_reaches_the_inference_log(server, collector, local_environment):
    rows = stream_batch(local_environment.data_schema(), 4, seed=21)
    rows[2] = {**rows[2], "channel": "teleport"}
    answer = httpx.post(f"{server.base_url}/score", json=request_body(rows), timeout=30)
    assert answer.status_code == 200
    ids = {row["transaction_id"] for row in rows}

    def logged() -> list[dict]:
        return [r for r in collector.query("inferences") if r["request_id"] in ids]

    wait_until(lambda: len(logged()) == len(rows), timeout_s=60, what="inference records in the collector")
    records = {r["request_id"]: r for r in logged()}
    flagged = records[rows[2]["transaction_id"]]
    assert flagged["error"].startswith("channel: unknown category") and flagged["score"] is None
    scored = records[rows[0]["transaction_id"]]
    assert (
        scored["model_name"] == "card-fraud"
        and scored["model_version"] == "5"
        and scored["deployment"] == "blue"
    )
    assert scored["score"] == pytest.approx(answer.json()["Results"][0]["score"])
    assert scored["features"]["amount"] == pytest.approx(rows[0]["amount"])
