"""Blob reference inputs in the Kafka runtime, on the real local broker (Tansu) and Azurite.

Rules from "Use reference data for lookups in Stream Analytics" (MicrosoftDocs/azure-docs
articles/stream-analytics/stream-analytics-use-reference-data.md, Generate reference data on a
schedule): blobs are ordered by the date/time in their names; the job takes the most recent one not after
its start time, then each newer blob once its clock reaches the blob's time, and keeps the previous data
until then; a blob found late applies from when it was found.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient
from confluent_kafka import Producer

from environments.standins import Azurite, Broker, wait_until
from streaming import aliases
from streaming.producer.events import format_event_time
from streaming.runtime import (
    Endpoint,
    ProjectError,
    ReferenceInputError,
    Runner,
    RunOptions,
    ensure_topics,
    load_project,
)
from streaming.runtime.path_pattern import STATIC, blob_time
from streaming.runtime.testing import PARTITIONS, Job, blob_rows, isolated, rendered, running, start

__all__ = ["rendered", "running"]  # fixtures, imported with the helpers they work with

PATTERN = "merchants/{date}/{time}/merchants.json"
QUERY = """
SELECT t.transaction_id, t.merchant_category, r.tier
INTO [scored-blob]
FROM transactions t TIMESTAMP BY event_time
JOIN merchants r ON t.merchant_category = r.merchant_category
"""


# -- pure: blob names by the path pattern ---------------------------------------------------------------
def test_blob_time_reads_the_documented_example() -> None:
    """The article's example: `sample/{date}/{time}/products.csv`, YYYY-MM-DD, HH-mm."""
    pattern = "sample/{date}/{time}/products.csv"
    name = "sample/2015-04-16/17-30/products.csv"
    assert blob_time(pattern, "yyyy-MM-dd", "HH-mm", name) == datetime(2015, 4, 16, 17, 30, tzinfo=UTC)
    assert blob_time(pattern, "yyyy-MM-dd", "HH-mm", "sample/2015-04-16/17-30/other.csv") is None
    assert blob_time(pattern, "yyyy-MM-dd", "HH-mm", "sample/2015-13-16/17-30/products.csv") is None
    assert blob_time("products.csv", "yyyy/MM/dd", "HH", "products.csv") == STATIC


def test_the_project_must_join_exactly_its_reference_inputs(rendered: Path, tmp_path: Path) -> None:
    job = _reference_job(rendered, tmp_path)
    (job.folder / "scoring.asaql").write_text(
        "SELECT t.transaction_id INTO [scored-blob] FROM transactions t", encoding="utf-8"
    )
    with pytest.raises(ProjectError, match=r"reference input\(s\) \['merchants'\] are defined but the query"):
        Runner(load_project(job.folder), {}, None, Endpoint(None), job.checkpoint)


# -- the runtime on the stand-ins -----------------------------------------------------------------------
def _reference_job(rendered: Path, tmp_path: Path) -> Job:
    """The rendered local project with the join query above and a blob reference input `merchants`."""
    job = isolated(rendered, tmp_path)
    (job.folder / "scoring.asaql").write_text(QUERY, encoding="utf-8")
    container = f"reference-{job.tag}"
    job.containers["merchants"] = container
    document = {
        "Name": "merchants",
        "Type": "Reference Data",
        "DataSourceType": "Blob Storage",
        "BlobStorageProperties": {
            "StorageAccounts": [{"AccountName": "devstoreaccount1", "AccountKey": None}],
            "Container": container,
            "PathPattern": PATTERN,
            "DateFormat": "yyyy/MM/dd",
            "TimeFormat": "HH-mm",
            "AuthenticationMode": "Msi",
        },
        "Serialization": {"Type": "Json", "Encoding": "UTF8"},
        "ScriptType": "Input",
    }
    (job.folder / "Inputs" / "reference-data.json").write_text(json.dumps(document), encoding="utf-8")
    asaproj = json.loads((job.folder / "asaproj.json").read_text())
    asaproj["configurations"].append({"filePath": "Inputs/reference-data.json", "subType": "Input"})
    (job.folder / "asaproj.json").write_text(json.dumps(asaproj))
    return job


def _blob_name(when: datetime) -> str:
    return PATTERN.replace("{date}", when.strftime("%Y/%m/%d")).replace("{time}", when.strftime("%H-%M"))


def _upload(azurite: Azurite, job: Job, when: datetime, content: bytes) -> str:
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = service.get_container_client(job.containers["merchants"])
    if not container.exists():
        container.create_container()
    name = _blob_name(when)
    container.upload_blob(name, content, overwrite=True)
    return name


def _tiers(tier: str) -> bytes:
    return "".join(
        json.dumps({"merchant_category": c, "tier": tier}) + "\n" for c in ("grocery", "travel")
    ).encode()


def _runner(job: Job, broker: Broker, azurite: Azurite) -> Runner:
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    options = RunOptions(max_batch=100, create_topics=True, topic_partitions=PARTITIONS, reference_scan_s=0.2)
    config = {"bootstrap.servers": broker.bootstrap_servers}
    return Runner(load_project(job.folder), config, service, Endpoint(None), job.checkpoint, options)


def _produce(broker: Broker, topic: str, when: datetime, name: str, category: str = "grocery") -> None:
    """One event per partition (the input's watermark is the lowest of its partitions)."""
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers})
    for partition in range(PARTITIONS):
        event = {"transaction_id": f"{name}-{partition}", "merchant_category": category}
        event["event_time"] = format_event_time(when)
        producer.produce(topic, json.dumps(event).encode(), partition=partition)
    assert producer.flush(30) == 0


def _joined(azurite: Azurite, job: Job) -> dict[str, str]:
    return {
        row["transaction_id"]: row["tier"]
        for row in blob_rows(azurite, job.containers[aliases.OUTPUT_SCORED_BLOB])
    }


@pytest.mark.services
def test_events_join_the_reference_blob_valid_at_their_time(
    rendered: Path, tmp_path: Path, kafka_broker: Broker, azurite: Azurite, running: list[Any]
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    _upload(azurite, job := _reference_job(rendered, tmp_path), now - timedelta(minutes=40), _tiers("old"))
    v1 = _upload(azurite, job, now - timedelta(minutes=30), _tiers("v1"))
    _upload(azurite, job, now + timedelta(minutes=30), _tiers("future"))  # not due: never loaded here
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    runner = _runner(job, kafka_broker, azurite)
    assert runner.references[0].loaded == (now - timedelta(minutes=30), v1), (
        "the latest blob not after the start"
    )
    start(runner, running)
    _produce(kafka_broker, job.input_topic, now - timedelta(minutes=20), "a")
    _produce(kafka_broker, job.input_topic, now - timedelta(minutes=19), "b")
    wait_until(
        lambda: {"a-0", "a-1"} <= set(_joined(azurite, job)), 60, "events joined with v1", interval_s=0.3
    )

    v2 = _upload(azurite, job, now - timedelta(minutes=1), _tiers("v2"))
    wait_until(lambda: runner.references[0].loaded[1] == v2, 30, "the newer blob loaded", interval_s=0.2)
    found_at = datetime.now(UTC)
    _produce(kafka_broker, job.input_topic, now - timedelta(minutes=15), "c")  # before v2 was found
    _produce(kafka_broker, job.input_topic, found_at + timedelta(seconds=5), "d")
    _produce(kafka_broker, job.input_topic, found_at + timedelta(seconds=6), "e", category="closing")
    wait_until(
        lambda: {"d-0", "d-1"} <= set(_joined(azurite, job)), 60, "events joined with v2", interval_s=0.3
    )
    joined = _joined(azurite, job)
    assert joined == {
        **{f"a-{p}": "v1" for p in range(PARTITIONS)},
        **{f"b-{p}": "v1" for p in range(PARTITIONS)},
        **{f"c-{p}": "v1" for p in range(PARTITIONS)},  # its time is before v2 applies: the data of then
        **{f"d-{p}": "v2" for p in range(PARTITIONS)},
    }


@pytest.mark.services
def test_bad_reference_data_stops_the_runtime_naming_the_blob(
    rendered: Path, tmp_path: Path, kafka_broker: Broker, azurite: Azurite
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    job = _reference_job(rendered, tmp_path)
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    with pytest.raises(
        ReferenceInputError, match=r"reference input merchants .*: the container does not exist"
    ):
        _runner(job, kafka_broker, azurite)
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    service.create_container(job.containers["merchants"])
    with pytest.raises(
        ReferenceInputError, match=rf"reference input merchants .*{job.containers['merchants']}.*no blob"
    ):
        _runner(job, kafka_broker, azurite)

    broken = _upload(
        azurite, job, now - timedelta(minutes=30), b'{"merchant_category": "grocery", "tier": "v1"}\n{oops\n'
    )
    with pytest.raises(
        ReferenceInputError, match=rf"blob {job.containers['merchants']}/{broken}, line 2: not JSON"
    ):
        _runner(job, kafka_broker, azurite)

    _upload(azurite, job, now - timedelta(minutes=20), _tiers("v1"))
    runner = _runner(job, kafka_broker, azurite)
    try:
        keyless = _upload(
            azurite, job, now - timedelta(minutes=10), b'{"category": "grocery", "tier": "v2"}\n'
        )
        errors: list[str] = []
        wait_until(lambda: _cycle_fails(runner, errors), 30, "the refresh to fail", interval_s=0.3)
        assert re.search(rf"{keyless}, row 1 has no 'merchant_category'", errors[0]), errors[0]
    finally:
        runner.close()


def _cycle_fails(runner: Runner, errors: list[str]) -> bool:
    try:
        runner.cycle()
    except ReferenceInputError as exc:
        errors.append(str(exc))
        return True
    return False
