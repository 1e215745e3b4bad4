"""`python -m streaming produce`: generated and replayed events reach the broker, keyed by transaction id."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from environments.loader import load_environment
from environments.standins import Broker
from streaming.producer import ProduceError, read_events
from streaming.testing import read_topic

SCHEMA = load_environment("local").data_schema()
REPO = Path(__file__).resolve().parents[2]


def produce(broker: Broker, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        "-m",
        "streaming",
        "produce",
        "local",
        "--bootstrap-servers",
        broker.bootstrap_servers,
    ]
    return subprocess.run([*argv, *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False)


@pytest.mark.services
def test_generated_events_are_keyed_and_follow_the_schema(kafka_broker: Broker) -> None:
    topic = f"produce-{uuid.uuid4().hex[:8]}"
    result = produce(kafka_broker, "--count", "300", "--rate", "5000", "--topic", topic, "--seed", "4")
    assert result.returncode == 0, result.stderr
    rows = read_topic(kafka_broker, topic, 300)
    assert len(rows) == 300
    for key, event in rows:
        assert key == event[SCHEMA.id_column].encode()
        assert set(event) == {*SCHEMA.feature_names, SCHEMA.id_column, SCHEMA.time_column}


@pytest.mark.services
def test_a_parquet_file_is_replayed(kafka_broker: Broker, tmp_path: Path) -> None:
    topic = f"replay-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "events.parquet"
    pq.write_table(pa.table({"transaction_id": ["a", "b", "c"], "amount": [1.0, 2.5, 3.0]}), path)
    result = produce(kafka_broker, "--file", str(path), "--topic", topic)
    assert result.returncode == 0, result.stderr
    rows = read_topic(kafka_broker, topic, 3)
    assert sorted(e["transaction_id"] for _, e in rows) == ["a", "b", "c"]
    assert all(SCHEMA.time_column in e for _, e in rows), "replayed events are stamped with the send time"


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"transaction_id": "a"}\n{not json}\n')
    with pytest.raises(ProduceError, match=r"events.jsonl: line 2: not JSON"):
        list(read_events(path))


def test_generate_needs_a_bound(kafka_broker: Broker) -> None:
    result = produce(kafka_broker, "--topic", "unused")
    assert result.returncode == 2
    assert "--count or --duration" in result.stderr
