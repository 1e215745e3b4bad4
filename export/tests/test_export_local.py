"""Real exporter -> real collector -> export -> real Azurite: rows, idempotency, overlaps, empty windows."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from azure.storage.blob import BlobServiceClient

from environments.loader import load_environment
from export.blob_sink import BlobSink
from export.exporter import export_window
from export.schema import export_schema
from export.sources.collector import CollectorSource

REPO = Path(__file__).resolve().parents[2]
# A day no other test writes to, so the session collector's other records stay out of these windows.
DAY = "2031-03-04"

SEND = """
import json, sys
from monitoring.telemetry import configure_telemetry
telemetry = configure_telemetry("export-test")
print(telemetry.log_inferences(json.loads(sys.argv[1])))
telemetry.flush()
"""


def record(request_id: str, time: str, **changes) -> dict:
    features = {
        "amount": 25.5,
        "merchant_category": "grocery",
        "channel": "pos",
        "card_present": True,
        "is_foreign": False,
        "hour_of_day": 8,
        "customer_age": 41,
        "account_age_days": 900,
        "txn_count_24h": 3,
        "distance_from_home_km": 2.5,
        "avg_amount_30d": 31.0,
    }
    return {
        "request_id": request_id,
        "time": f"{DAY}T{time}Z",
        "model_name": "card-fraud",
        "model_version": "4",
        "deployment": "blue",
        "features": {**features, **changes.pop("features", {})},
        "score": 0.125,
        "error": None,
        "latency_ms": 2.0,
        **changes,
    }


RECORDS = [
    record("r-08a", "08:10:00"),
    record("r-08b", "08:59:59.999999", score=None, error="amount: not a number", features={"amount": "n/a"}),
    record("r-09a", "09:00:00"),
    record("r-09b", "09:30:00", features={"hour_of_day": 9.0, "card_present": "true"}),
    record("r-10a", "10:45:00"),
]


@pytest.fixture(scope="module")
def loaded_collector(collector):
    """The session collector holding RECORDS (plus one re-send of r-09a), sent by the real exporter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPLICATIONINSIGHTS_", "STREAMSCORE_"))}
    env["APPLICATIONINSIGHTS_CONNECTION_STRING"] = collector.connection_string
    sent = subprocess.run(
        [sys.executable, "-c", SEND, json.dumps([*RECORDS, RECORDS[2]])],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert sent.stdout.strip() == "6"
    return collector


@pytest.fixture
def container(azurite):
    return f"export-{uuid.uuid4().hex[:12]}"


def at(time: str) -> datetime:
    return datetime.fromisoformat(f"{DAY}T{time}+00:00")


def run_export(loaded_collector, azurite, container: str, start: str, end: str):
    env = load_environment("local")
    sink = BlobSink.from_connection_string(azurite.connection_string, container)
    return export_window(
        at(start),
        at(end),
        CollectorSource(loaded_collector.url, key=loaded_collector.query_key),
        sink,
        env.data_schema(),
    )


def blobs(azurite, container: str) -> dict[str, bytes]:
    client = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(
        container
    )
    if not client.exists():
        return {}
    return {b.name: client.download_blob(b.name).readall() for b in client.list_blobs()}


def test_export_writes_hourly_parquet_with_the_contract_schema(loaded_collector, azurite, container) -> None:
    report = run_export(loaded_collector, azurite, container, "08:00:00", "11:00:00")
    assert report.rows == 5
    assert [h.duplicates for h in report.hours] == [0, 1, 0]
    written = blobs(azurite, container)
    assert sorted(written) == [
        "2031/03/04/08/part-0000.parquet",
        "2031/03/04/09/part-0000.parquet",
        "2031/03/04/10/part-0000.parquet",
    ]
    hour_09 = pq.read_table(io.BytesIO(written["2031/03/04/09/part-0000.parquet"]))
    assert hour_09.schema.equals(export_schema(load_environment("local").data_schema()), check_metadata=False)
    rows = hour_09.to_pylist()
    assert [r["request_id"] for r in rows] == ["r-09a", "r-09b"]
    assert rows[1]["hour_of_day"] == 9 and rows[1]["card_present"] is True
    assert rows[0]["time"] == datetime(2031, 3, 4, 9, tzinfo=UTC)
    hour_08 = pq.read_table(io.BytesIO(written["2031/03/04/08/part-0000.parquet"])).to_pylist()
    edge = hour_08[1]
    assert (edge["request_id"], edge["amount"], edge["score"], edge["error"]) == (
        "r-08b",
        None,
        None,
        "amount: not a number",
    )
    assert edge["time"] == datetime(2031, 3, 4, 8, 59, 59, 999999, tzinfo=UTC)


def test_exporting_the_same_window_twice_gives_identical_blobs(loaded_collector, azurite, container) -> None:
    run_export(loaded_collector, azurite, container, "08:00:00", "11:00:00")
    first = blobs(azurite, container)
    run_export(loaded_collector, azurite, container, "08:00:00", "11:00:00")
    assert blobs(azurite, container) == first


def test_overlapping_windows_never_duplicate_a_record(loaded_collector, azurite, container) -> None:
    run_export(loaded_collector, azurite, container, "08:30:00", "09:15:00")
    run_export(loaded_collector, azurite, container, "09:10:00", "10:50:00")
    request_ids = [
        row["request_id"]
        for data in blobs(azurite, container).values()
        for row in pq.read_table(io.BytesIO(data)).to_pylist()
    ]
    assert sorted(request_ids) == ["r-08a", "r-08b", "r-09a", "r-09b", "r-10a"]


def test_a_window_without_records_writes_nothing_and_says_so(loaded_collector, azurite, container) -> None:
    report = run_export(loaded_collector, azurite, container, "12:00:00", "14:00:00")
    assert report.written == []
    assert report.summary() == "no inference records in the 2 hour(s) of the window: nothing written"
    assert blobs(azurite, container) == {}


def test_cli_exports_a_local_window(loaded_collector, azurite, container) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "export",
            "run",
            "local",
            "--from",
            f"{DAY}T10:00:00Z",
            "--to",
            f"{DAY}T10:30:00Z",
            "--collector",
            loaded_collector.url,
            "--blob-connection-string-env",
            "TEST_BLOB_CONNECTION_STRING",
            "--container",
            container,
        ],
        cwd=REPO,
        env={
            **os.environ,
            **loaded_collector.environment,
            "TEST_BLOB_CONNECTION_STRING": azurite.connection_string,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote 1 rows in 1 blob(s)" in result.stdout
    assert list(blobs(azurite, container)) == ["2031/03/04/10/part-0000.parquet"]


def test_cli_names_a_bad_window() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "export", "run", "local", "--from", "yesterday", "--to", f"{DAY}T10:00:00Z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "--from='yesterday' is not an ISO-8601 time" in result.stderr


def test_the_scheduled_run_exports_the_last_whole_hours_as_parquet(
    loaded_collector, azurite, container
) -> None:
    """`--last-hours N`, what the Azure ML export schedule runs (decision 0016), on the local stand-ins: the
    hour that ended before the ingestion delay lands as the contract's Parquet. Three hours, with the
    record in the middle one, so an hour boundary passing during the test keeps it in the window."""
    from export.windows import recent_window

    _, end = recent_window(datetime.now(UTC), 1)
    when = end - timedelta(minutes=90)
    request_id = f"scheduled-{uuid.uuid4().hex[:8]}"
    fresh = {**record(request_id, "00:00:00"), "time": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPLICATIONINSIGHTS_", "STREAMSCORE_"))}
    env["APPLICATIONINSIGHTS_CONNECTION_STRING"] = loaded_collector.connection_string
    subprocess.run(
        [sys.executable, "-c", SEND, json.dumps([fresh])],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "export",
            "run",
            "local",
            "--last-hours",
            "3",
            "--collector",
            loaded_collector.url,
            "--blob-connection-string-env",
            "TEST_BLOB_CONNECTION_STRING",
            "--container",
            container,
        ],
        cwd=REPO,
        env={
            **os.environ,
            **loaded_collector.environment,
            "TEST_BLOB_CONNECTION_STRING": azurite.connection_string,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    name = when.strftime("%Y/%m/%d/%H/part-0000.parquet")
    written = blobs(azurite, container)
    assert name in written, sorted(written)
    table = pq.read_table(io.BytesIO(written[name]))
    assert table.schema == export_schema(load_environment("local").data_schema())
    assert request_id in table.column("request_id").to_pylist()
