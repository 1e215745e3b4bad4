"""Benchmark phases on the real local stand-ins (pure measurement; the CLI assembles the records).

- endpoint: rows/s the scoring server alone sustains with batches of the function's batch size;
- throughput: a backlog of events in the input topic, read -> engine (function calls included) ->
  Kafka and blob outputs -> checkpoint -> commit, by the runtime in this process; events/s;
- latency: the runtime in its own process while a producer process sends at a target rate; for every
  scored row read back from the output topic, read time minus the event's event time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
from confluent_kafka import Consumer, Producer

from environments.data_schema import DataSchema
from environments.standins import wait_until
from streaming.producer import EventGenerator
from streaming.runtime import Endpoint, Runner, RunOptions, ensure_topics, load_project

REPO = Path(__file__).resolve().parents[2]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100])."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def endpoint_rows_per_s(
    scoring_uri: str, schema: DataSchema, batch_size: int, seconds: float
) -> tuple[float, float]:
    """The endpoint alone: one client sending batches back to back (one request at a time, like the job).

    Returns rows/s and the seconds measured."""
    generator = EventGenerator(schema, seed=11)
    rows = list(generator.events(batch_size, datetime.now(UTC)))
    body = json.dumps({"Inputs": {"data": rows}}).encode()
    sent = 0
    with httpx.Client(timeout=60) as client:
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            response = client.post(scoring_uri, content=body, headers={"Content-Type": "application/json"})
            response.raise_for_status()
            sent += batch_size
        elapsed = time.perf_counter() - started
        return sent / elapsed, elapsed


def fill_topic(bootstrap: str, topic: str, schema: DataSchema, count: int) -> list[str]:
    """Write `count` events stamped now, keyed by transaction id; returns the ids in order."""
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "queue.buffering.max.messages": 2_000_000}
    )
    generator = EventGenerator(schema, seed=12)
    ids: list[str] = []
    for _ in range(count):
        event = generator.event(datetime.now(UTC))
        ids.append(event[schema.id_column])
        while True:
            try:
                producer.produce(topic, json.dumps(event).encode(), key=event[schema.id_column].encode())
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(120):
        raise RuntimeError(f"topic {topic}: events not acknowledged")
    return ids


@dataclass
class Throughput:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def runtime_throughput(
    project_dir: Path, bootstrap: str, blob_service: Any, scoring_uri: str, checkpoint: Path, events: int
) -> Throughput:
    """Drain a backlog of `events` with the runtime's pipelined loop.

    The clock starts when a poll first returns events (the group join before it is not counted) and
    stops once every output row of those events is durable and checkpointed.
    """
    options = RunOptions(
        max_batch=10_000, create_topics=True, topic_partitions=load_project(project_dir).inputs[0].partitions
    )
    runner = Runner(
        load_project(project_dir),
        {"bootstrap.servers": bootstrap},
        blob_service,
        Endpoint(scoring_uri),
        checkpoint,
        options,
    )
    stats = runner.run(threading.Event(), idle_exit_s=60, max_events=events)  # 60 s without events ends it
    ended = time.monotonic()
    if stats.events_in < events or stats.first_event is None:
        raise RuntimeError(f"throughput: only {stats.events_in} of {events} events read")
    return Throughput(stats.events_in, ended - stats.first_event)


def latencies_at_rate(
    project_dir: Path,
    bootstrap: str,
    blob_connection_string: str,
    scoring_uri: str,
    state: Path,
    schema: DataSchema,
    rate: int,
    seconds: float,
    output_topic: str,
    input_topic: str,
    partitions: int,
) -> tuple[list[float], float]:
    """Latencies (ms) of every scored row of a `rate` events/s run, and the rate the producer achieved."""
    # Subscribing to a topic that does not exist yet would wait for a metadata refresh (minutes).
    ensure_topics({"bootstrap.servers": bootstrap}, [input_topic, output_topic], partitions)
    env = {**os.environ, "BENCH_BLOB_CONNECTION_STRING": blob_connection_string}
    log = (state / "logs" / f"bench-run-{rate}.log").open("ab")
    runtime = subprocess.Popen(
        [
            sys.executable, "-m", "streaming", "run", "local",
            "--project", str(project_dir),
            "--bootstrap-servers", bootstrap,
            "--blob-connection-string-env", "BENCH_BLOB_CONNECTION_STRING",
            "--endpoint", scoring_uri,
            "--checkpoint", str(state / f"latency-{rate}.checkpoint.json"),
            "--max-batch", "5000",
            "--log-level", "WARNING",
        ],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO,
    )  # fmt: skip
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "latest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
            "fetch.wait.max.ms": 10,  # the broker would otherwise hold fetches ~200 ms (measured)
        }
    )
    consumer.subscribe([output_topic])
    latencies: list[float] = []
    stop = threading.Event()
    try:
        # Both ends are live once one event makes the round trip.
        probe = Producer({"bootstrap.servers": bootstrap})
        generator = EventGenerator(schema, seed=13)
        seen = False

        def round_trip() -> bool:
            nonlocal seen
            probe.produce(input_topic, json.dumps(generator.event(datetime.now(UTC))).encode())
            probe.flush(5)
            seen = seen or any(m.error() is None for m in consumer.consume(100, timeout=1.0))
            return seen

        wait_until(round_trip, 90, "runtime round trip")
        start = datetime.now(UTC)

        def read() -> None:
            while not stop.is_set():
                # consume() returns when the batch is full or the timeout ends: a short timeout, so
                # that a row's read time is when it became readable, not when a batch filled.
                messages = consumer.consume(5000, timeout=0.01)
                now = time.time()
                for message in messages:
                    if message.error() is not None:
                        continue
                    row = orjson.loads(cast(bytes, message.value()))  # the bench's producer always sets one
                    when = datetime.fromisoformat(row[schema.time_column][:26] + "+00:00")
                    if when >= start:
                        latencies.append((now - when.timestamp()) * 1000)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        producer = subprocess.run(
            [
                sys.executable, "-m", "streaming", "produce", "local",
                "--bootstrap-servers", bootstrap, "--topic", input_topic,
                "--rate", str(rate), "--duration", str(seconds),
            ],
            capture_output=True, text=True, cwd=REPO, check=True, timeout=seconds + 120,
        )  # fmt: skip
        sent = int(producer.stderr.split("sent ")[-1].split()[0])
        expected = sent
        deadline = time.monotonic() + 60
        while len(latencies) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        return latencies, sent / seconds
    finally:
        stop.set()
        consumer.close()
        runtime.terminate()
        runtime.wait(60)
        log.close()
