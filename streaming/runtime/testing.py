"""Test support for the streaming runtime on the real stand-ins: an isolated copy of the rendered local
project per test (its own topics, containers and checkpoint), a runner for it on a thread, and the rows a
blob container holds. Import the fixtures (`rendered`, `running`) with the helpers that use them.
"""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient

from environments.loader import load_environment
from environments.render import render_environment
from environments.standins import Azurite, Broker
from streaming import aliases
from streaming.runtime import Endpoint, Runner, RunOptions, load_project

SCHEMA = load_environment("local").data_schema()
PARTITIONS = 2
"""Partitions of every test input topic."""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runtime-render")
    render_environment("local", out=out)
    return out / "streaming" / "asa"


@dataclass
class Job:
    """An isolated copy of the project and the names it uses."""

    folder: Path
    tag: str
    input_topic: str
    output_topic: str
    containers: dict[str, str]
    checkpoint: Path


def isolated(rendered: Path, tmp_path: Path) -> Job:
    tag = uuid.uuid4().hex[:8]
    folder = tmp_path / "asa"
    shutil.copytree(rendered, folder)
    containers = {}

    def edit(path: Path, change: Any) -> None:
        document = json.loads(path.read_text())
        change(document)
        path.write_text(json.dumps(document))

    def input_change(d: dict[str, Any]) -> None:
        d["EventHubProperties"].update(
            EventHubName=f"in-{tag}", ConsumerGroupName=f"g-{tag}", PartitionCount=PARTITIONS
        )

    edit(folder / "Inputs" / f"{aliases.INPUT_TRANSACTIONS}.json", input_change)
    edit(
        folder / "Outputs" / f"{aliases.OUTPUT_SCORED_EVENTHUB}.json",
        lambda d: d["EventHubProperties"].update(EventHubName=f"out-{tag}"),
    )
    for alias in (aliases.OUTPUT_SCORED_BLOB, aliases.OUTPUT_DEADLETTER, aliases.OUTPUT_CATEGORY_AGGREGATES):
        containers[alias] = f"{alias}-{tag}"
        edit(
            folder / "Outputs" / f"{alias}.json",
            lambda d, c=containers[alias]: d["BlobStorageProperties"].update(Container=c),
        )
    edit(folder / "JobConfig.json", lambda d: d.update(EventsLateArrivalMaxDelayInSeconds=-1))
    return Job(folder, tag, f"in-{tag}", f"out-{tag}", containers, tmp_path / "job.checkpoint.json")


def blob_rows(azurite: Azurite, container: str) -> list[dict[str, Any]]:
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    client = service.get_container_client(container)
    if not client.exists():
        return []
    rows: list[dict[str, Any]] = []
    for blob in client.list_blobs():
        text = client.download_blob(blob.name).readall().decode()
        rows.extend(json.loads(line) for line in text.splitlines() if line)
    return rows


def runner(job: Job, broker: Broker, azurite: Azurite, endpoint: str, max_batch: int = 500) -> Runner:
    config = {"bootstrap.servers": broker.bootstrap_servers}
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    options = RunOptions(
        max_batch=max_batch, max_backoff_s=0.5, create_topics=True, topic_partitions=PARTITIONS
    )
    return Runner(load_project(job.folder), config, service, Endpoint(endpoint), job.checkpoint, options)


@pytest.fixture
def running() -> Iterator[list[tuple[Runner, threading.Event, threading.Thread]]]:
    started: list[tuple[Runner, threading.Event, threading.Thread]] = []
    yield started
    for _, stop, thread in started:
        stop.set()
        thread.join(30)


def start(
    job_runner: Runner, running: list[tuple[Runner, threading.Event, threading.Thread]]
) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(target=job_runner.run, args=(stop,), daemon=True)
    thread.start()
    running.append((job_runner, stop, thread))
    return stop
