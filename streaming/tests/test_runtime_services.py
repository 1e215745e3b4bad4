"""The runtime end to end on the real local broker (Tansu), Azurite and azmlinfsrv serving a stand-in
score.py: scored, dead-letter and aggregate outputs arrive; the endpoint going away loses no event and
duplicates none in the aggregate; a killed runtime resumes from its committed offsets.

Each test works on its own copy of the rendered local project with its own topics, containers and
consumer group. The copy sets EventsLateArrivalMaxDelayInSeconds to -1 so that events may carry event
times of the past: the watermark then follows event time only, and a closing event per partition ends
the one-minute windows without waiting for the clock.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient
from confluent_kafka import Producer

from environments.standins import Azurite, Broker, start_broker, wait_until
from streaming import aliases, dead_letter
from streaming.producer import EventGenerator
from streaming.producer.events import format_event_time
from streaming.querytest.standin import stand_in_score
from streaming.runtime import Checkpoint, FileCheckpointStore, ensure_topics
from streaming.runtime.testing import (
    PARTITIONS,
    SCHEMA,
    Job,
    blob_rows,
    isolated,
    rendered,
    runner,
    running,
    start,
)
from streaming.testing import STAND_IN_SCORE_SCRIPT, ScoringServer, read_topic, start_scoring_server

pytestmark = pytest.mark.services

__all__ = ["rendered", "running"]  # fixtures, imported with the helpers they work with

WINDOW = timedelta(minutes=1)
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Traffic:
    """What a test sends, and what must come out."""

    valid: list[dict[str, Any]]
    invalid: list[dict[str, Any]]
    closing: list[dict[str, Any]]

    def expected_aggregates(self) -> dict[tuple[str, str], tuple[int, float]]:
        """(category, window end) -> (events, average score) for the valid events (closing ones excluded)."""
        groups: dict[tuple[str, str], list[float]] = {}
        for event in self.valid:
            when = datetime.fromisoformat(event[SCHEMA.time_column].replace("0Z", "+00:00"))
            window = WINDOW.total_seconds()
            end = datetime.fromtimestamp(math.ceil(when.timestamp() / window) * window, UTC)
            key = (event["merchant_category"], format_event_time(end))
            request = {name: event[name] for name in (SCHEMA.id_column, *SCHEMA.feature_names)}
            groups.setdefault(key, []).append(stand_in_score(request)["score"])
        return {key: (len(scores), sum(scores) / len(scores)) for key, scores in groups.items()}

    @property
    def scored_ids(self) -> set[str]:
        return {e[SCHEMA.id_column] for e in self.valid + self.closing}


def traffic(count: int, seed: int) -> Traffic:
    """Events over three minutes of the past, a few invalid ones, and one closing event per partition."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    generator = EventGenerator(SCHEMA, seed)
    valid = [generator.event(start + timedelta(seconds=0.5 + 180 * i / count)) for i in range(count)]
    invalid = []
    for i, (field, value) in enumerate([("amount", None), ("channel", "teleport"), ("customer_age", 7)]):
        event = generator.event(start + timedelta(seconds=1 + i))
        event[field] = value
        invalid.append(event)
    closing = [generator.event(start + timedelta(minutes=5, seconds=30)) for _ in range(PARTITIONS)]
    return Traffic(valid, invalid, closing)


def produce(broker: Broker, topic: str, events: list[dict[str, Any]], partition: int | None = None) -> None:
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 5})
    for event in events:
        value = json.dumps(event).encode()
        if partition is None:
            producer.produce(topic, value=value, key=event[SCHEMA.id_column].encode())
        else:
            producer.produce(topic, value=value, partition=partition)
    assert producer.flush(30) == 0


def produce_closing(broker: Broker, topic: str, sent: Traffic) -> None:
    for partition, event in enumerate(sent.closing):
        produce(broker, topic, [event], partition)


def outputs_complete(azurite: Azurite, job: Job, sent: Traffic) -> bool:
    scored = blob_rows(azurite, job.containers[aliases.OUTPUT_SCORED_BLOB])
    aggregates = blob_rows(azurite, job.containers[aliases.OUTPUT_CATEGORY_AGGREGATES])
    return len({r[SCHEMA.id_column] for r in scored}) >= len(sent.scored_ids) and len(aggregates) >= len(
        sent.expected_aggregates()
    )


def assert_outputs(azurite: Azurite, job: Job, sent: Traffic) -> None:
    scored = blob_rows(azurite, job.containers[aliases.OUTPUT_SCORED_BLOB])
    ids = Counter(r[SCHEMA.id_column] for r in scored)
    assert set(ids) == sent.scored_ids
    assert max(ids.values()) == 1, "a scored event was written twice to blob storage"
    assert all(r["score"] is not None and r["scoring_error"] is None for r in scored)
    dead = blob_rows(azurite, job.containers[aliases.OUTPUT_DEADLETTER])
    assert sorted(r[SCHEMA.id_column] for r in dead) == sorted(e[SCHEMA.id_column] for e in sent.invalid)
    assert all(r["rejection"] for r in dead)
    aggregates = blob_rows(azurite, job.containers[aliases.OUTPUT_CATEGORY_AGGREGATES])
    got = Counter((r["merchant_category"], r["window_end"]) for r in aggregates)
    assert max(got.values()) == 1, "an aggregate window was written twice"
    expected = sent.expected_aggregates()
    assert set(got) == set(expected)
    for row in aggregates:
        count, average = expected[(row["merchant_category"], row["window_end"])]
        assert (row["events"], row["scored_events"]) == (count, count)
        assert row["avg_score"] == pytest.approx(average, abs=1e-6)


def test_scored_dead_letter_and_aggregates_arrive(
    rendered: Path,
    tmp_path: Path,
    kafka_broker: Broker,
    azurite: Azurite,
    scoring_server: ScoringServer,
    running: list,
) -> None:
    job = isolated(rendered, tmp_path)
    sent = traffic(600, seed=1)
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    produce(kafka_broker, job.input_topic, sent.valid + sent.invalid)
    produce_closing(kafka_broker, job.input_topic, sent)
    start(runner(job, kafka_broker, azurite, scoring_server.scoring_uri), running)
    wait_until(lambda: outputs_complete(azurite, job, sent), 90, "all outputs", interval_s=0.5)
    assert_outputs(azurite, job, sent)
    on_topic = [row for _, row in read_topic(kafka_broker, job.output_topic, len(sent.scored_ids))]
    assert {r[SCHEMA.id_column] for r in on_topic} == sent.scored_ids


@pytest.mark.faults
def test_endpoint_outage_loses_nothing_and_duplicates_no_window(
    rendered: Path, tmp_path: Path, kafka_broker: Broker, azurite: Azurite, running: list
) -> None:
    job = isolated(rendered, tmp_path)
    sent = traffic(400, seed=2)
    server = start_scoring_server(STAND_IN_SCORE_SCRIPT, tmp_path / "scoring")
    try:
        ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
        half = len(sent.valid) // 2
        produce(kafka_broker, job.input_topic, sent.valid[:half])
        job_runner = runner(job, kafka_broker, azurite, server.scoring_uri, max_batch=100)
        start(job_runner, running)
        wait_until(
            lambda: job_runner.stats.rows_out.get(aliases.OUTPUT_SCORED_BLOB, 0) >= half,
            60,
            "first half scored",
        )
        server.stop()
        produce(kafka_broker, job.input_topic, sent.valid[half:] + sent.invalid)
        produce_closing(kafka_broker, job.input_topic, sent)
        retries = lambda: job_runner.engine.counters()["functions"][aliases.FUNCTION_SCORE]["retries"]  # noqa: E731
        wait_until(lambda: retries() >= 2, 60, "calls retried while the endpoint is away")
        server = start_scoring_server(STAND_IN_SCORE_SCRIPT, tmp_path / "scoring", port=server.port)
        wait_until(lambda: outputs_complete(azurite, job, sent), 90, "all outputs", interval_s=0.5)
    finally:
        server.stop()
    assert_outputs(azurite, job, sent)


def run_process(
    job: Job, broker: Broker, azurite: Azurite, endpoint: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TEST_BLOB_CONNECTION_STRING": azurite.connection_string}
    argv = [
        sys.executable, "-m", "streaming", "run", "local",
        "--project", str(job.folder),
        "--bootstrap-servers", broker.bootstrap_servers,
        "--blob-connection-string-env", "TEST_BLOB_CONNECTION_STRING",
        "--endpoint", endpoint,
        "--checkpoint", str(job.checkpoint),
        "--max-batch", "100",
    ]  # fmt: skip
    with log.open("ab") as handle:
        return subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=REPO)


def events_read(log: Path) -> list[int]:
    """`events in` of each run that stopped cleanly, from the runtime's log."""
    return [
        int(line.split("stopped: ")[1].split()[0])
        for line in log.read_text().splitlines()
        if "stopped: " in line
    ]


@pytest.mark.faults
def test_killed_runtime_resumes_from_committed_offsets(
    rendered: Path, tmp_path: Path, kafka_broker: Broker, azurite: Azurite, scoring_server: ScoringServer
) -> None:
    """kill -9 twice mid-stream: each restart reads on from the committed offsets, nothing lost or doubled."""
    job = isolated(rendered, tmp_path)
    sent = traffic(400, seed=3)
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    first_part, second_part = len(sent.valid) // 3, 2 * len(sent.valid) // 3
    log = tmp_path / "run.log"
    runs: list[subprocess.Popen] = []

    def checkpointed(offset: int) -> Callable[[], bool]:
        def check() -> bool:
            return (
                job.checkpoint.exists()
                and sum(json.loads(job.checkpoint.read_text())["offsets"].values()) == offset
            )

        return check

    try:
        for start, end in ((0, first_part), (first_part, second_part)):
            produce(kafka_broker, job.input_topic, sent.valid[start:end])
            runs.append(run_process(job, kafka_broker, azurite, scoring_server.scoring_uri, log))
            wait_until(checkpointed(end), 60, f"events up to {end} checkpointed")
            runs[-1].kill()  # a crash: no clean shutdown
            runs[-1].wait(10)
        produce(kafka_broker, job.input_topic, sent.valid[second_part:] + sent.invalid)
        produce_closing(kafka_broker, job.input_topic, sent)
        runs.append(run_process(job, kafka_broker, azurite, scoring_server.scoring_uri, log))
        wait_until(lambda: outputs_complete(azurite, job, sent), 90, "all outputs", interval_s=0.5)
        runs[-1].send_signal(signal.SIGTERM)
        assert runs[-1].wait(30) == 0, log.read_text()[-3000:]
    finally:
        for process in runs:
            if process.poll() is None:
                process.kill()
    total = len(sent.valid) + len(sent.invalid) + len(sent.closing)
    assert events_read(log) == [total - second_part], "the last restart must start at the committed offsets"
    assert_outputs(azurite, job, sent)


class CrashBeforeCheckpoint(FileCheckpointStore):
    """Fault injection: the process 'dies' after its second cycle's outputs, before that checkpoint."""

    saves = 0

    def save(self, checkpoint: Checkpoint) -> None:
        self.saves += 1
        if self.saves == 2:
            raise SimulatedCrashError
        super().save(checkpoint)


class SimulatedCrashError(Exception):
    pass


@pytest.mark.faults
def test_blobs_of_an_unfinished_cycle_are_not_left_twice(
    rendered: Path, tmp_path: Path, kafka_broker: Broker, azurite: Azurite, scoring_server: ScoringServer
) -> None:
    job = isolated(rendered, tmp_path)
    sent = traffic(500, seed=4)
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    produce(kafka_broker, job.input_topic, sent.valid + sent.invalid)
    produce_closing(kafka_broker, job.input_topic, sent)
    crashing = runner(job, kafka_broker, azurite, scoring_server.scoring_uri, max_batch=150)
    crashing.store = CrashBeforeCheckpoint(job.checkpoint)
    with pytest.raises(SimulatedCrashError):
        wait_until(lambda: crashing.cycle() < 0, 60, "the simulated crash")
    crashing.source.close()
    assert crashing.store.pending_blobs(), "the crash left a journalled cycle"
    # The replay reads in other batch sizes, so its blob names do not line up with the lost cycle's.
    recovered = runner(job, kafka_broker, azurite, scoring_server.scoring_uri, max_batch=40)
    try:
        wait_until(lambda: recovered.cycle() >= 0 and outputs_complete(azurite, job, sent), 90, "all outputs")
    finally:
        recovered.close()
    assert_outputs(azurite, job, sent)


@pytest.mark.faults
def test_broker_restarted_empty_under_a_kept_checkpoint_loses_nothing(
    rendered: Path, tmp_path: Path, azurite: Azurite, scoring_server: ScoringServer
) -> None:
    """The in-memory broker restarts (fresh, same port) while the runtime's checkpoint is kept, and more
    events than before are sent before the runtime starts again: the checkpoint's offsets now fall
    inside the new partitions, so only the topic's new id tells. Every event sent afterwards is scored."""
    job = isolated(rendered, tmp_path)
    before, after = traffic(300, seed=5), traffic(600, seed=6)
    broker = start_broker(tmp_path / "broker")
    try:
        ensure_topics({"bootstrap.servers": broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
        produce(broker, job.input_topic, before.valid)
        first = runner(job, broker, azurite, scoring_server.scoring_uri)
        try:
            wait_until(lambda: first.cycle() >= 0 and first.stats.events_in == len(before.valid), 60, "read")
        finally:
            first.close()
        saved = FileCheckpointStore(job.checkpoint).load()
        assert saved is not None and sum(saved.offsets.values()) == len(before.valid) and saved.topic_id
        broker.stop()
        broker = start_broker(tmp_path / "broker", port=broker.port)
        ensure_topics({"bootstrap.servers": broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
        produce(broker, job.input_topic, after.valid)
        second = runner(job, broker, azurite, scoring_server.scoring_uri)
        try:

            def scored() -> set[str]:
                rows = blob_rows(azurite, job.containers[aliases.OUTPUT_SCORED_BLOB])
                return {r[SCHEMA.id_column] for r in rows}

            expected = {e[SCHEMA.id_column] for e in after.valid}
            wait_until(lambda: second.cycle() >= 0 and expected <= scored(), 60, "events after the restart")
        finally:
            second.close()
    finally:
        broker.stop()
    resets = second.source.resets
    assert {r.partition for r in resets} == set(saved.offsets), "every partition's offset was checked"
    assert all(r.offset == 0 and r.checkpoint_offset == saved.offsets[r.partition] for r in resets)
    assert all("recreated" in r.message for r in resets)
    resumed = FileCheckpointStore(job.checkpoint).load()
    assert resumed is not None and sum(resumed.offsets.values()) == len(after.valid)
    assert resumed.topic_id and resumed.topic_id != saved.topic_id
    # The old offsets fit inside the new partitions: only the topic's id tells the topic was recreated
    # (the local broker's high watermark is no help: it reports the last batch's base offset + 1).
    assert any(resumed.offsets[p] > saved.offsets[p] for p in saved.offsets)
    rows = blob_rows(azurite, job.containers[aliases.OUTPUT_SCORED_BLOB])
    ids = Counter(r[SCHEMA.id_column] for r in rows)
    assert set(ids) == {e[SCHEMA.id_column] for e in before.valid + after.valid}
    assert max(ids.values()) == 1


def blob_bodies(azurite: Azurite, container: str) -> dict[str, bytes]:
    client = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(
        container
    )
    return {blob.name: client.download_blob(blob.name).readall() for blob in client.list_blobs()}


@pytest.mark.faults
def test_blob_numbering_continues_after_a_deleted_checkpoint(
    rendered: Path, tmp_path: Path, kafka_broker: Broker, azurite: Azurite, scoring_server: ScoringServer
) -> None:
    """With the checkpoint deleted, a restarted runtime resumes at the committed offsets and numbers its
    blobs after those already in the folder: no blob of the first run is overwritten."""
    job = isolated(rendered, tmp_path)
    first, second = traffic(200, seed=7), traffic(200, seed=8)
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    produce(kafka_broker, job.input_topic, first.valid)
    container = job.containers[aliases.OUTPUT_SCORED_BLOB]
    before_run = runner(job, kafka_broker, azurite, scoring_server.scoring_uri, max_batch=50)
    try:
        wait_until(lambda: before_run.cycle() >= 0 and before_run.stats.events_in == 200, 60, "first run")
    finally:
        before_run.close()
    before = blob_bodies(azurite, container)
    assert before, "the first run wrote blobs"
    job.checkpoint.unlink()
    produce(kafka_broker, job.input_topic, second.valid)
    after_run = runner(job, kafka_broker, azurite, scoring_server.scoring_uri, max_batch=50)
    try:
        wait_until(lambda: after_run.cycle() >= 0 and after_run.stats.events_in == 200, 60, "second run")
    finally:
        after_run.close()
    after = blob_bodies(azurite, container)
    assert {name: after.get(name) for name in before} == before, "a blob of the first run was overwritten"
    ids = Counter(
        json.loads(line)[SCHEMA.id_column] for body in after.values() for line in body.splitlines() if line
    )
    assert set(ids) == {e[SCHEMA.id_column] for e in first.valid + second.valid}
    assert max(ids.values()) == 1


def bad_events(start: datetime) -> dict[bytes, str]:
    """Events that cannot enter the query, each unique, -> words the dead letter's reason must hold."""
    generator = EventGenerator(SCHEMA, 11)

    def text(change: dict[str, Any], literal: str | None = None, drop: str | None = None) -> bytes:
        event = {**generator.event(start), **change}
        if drop:
            del event[drop]
        body = json.dumps(event)
        return (body.replace('"<literal>"', literal) if literal else body).encode()

    far_future = format_event_time(datetime.now(UTC) + timedelta(days=1))
    return {
        b'{"transaction_id": "broken", "amount": ': "event: not JSON",
        b"\xff\xfe{}\x00 not text": "event: not UTF-8",
        text({"amount": "<literal>"}, "NaN"): "event: NaN is not a JSON value",
        text({"distance_from_home_km": "<literal>"}, "-Infinity"): "event: -Infinity is not a JSON value",
        b"[1, 2, 3]": "event: a JSON array",
        b"": "event: empty payload",
        text({}, drop=SCHEMA.time_column): f"TIMESTAMP BY {SCHEMA.time_column}: missing or not a time",
        text({SCHEMA.time_column: "not a time"}): f"TIMESTAMP BY {SCHEMA.time_column}: missing or not a time",
        text({SCHEMA.time_column: far_future}): "early event",
        text({"amount": "<literal>"}, str(10**30)): "amount: out of range",
        text({"customer_age": "<literal>"}, str(2**63 + 5)): "customer_age: out of range",
    }


@pytest.mark.faults
def test_every_event_is_accounted_for_exactly_once(
    rendered: Path, tmp_path: Path, kafka_broker: Broker, azurite: Azurite, scoring_server: ScoringServer
) -> None:
    """Valid, invalid and unreadable events: each is found once, in the scored output, in the dead
    letter (the query's rows, or the original bytes with a reason naming field and rule), or counted."""
    job = isolated(rendered, tmp_path)
    sent = traffic(300, seed=9)
    bad = bad_events(datetime.now(UTC) - timedelta(minutes=5))
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers, "linger.ms": 5})
    mixed = [json.dumps(e).encode() for e in sent.valid[:150] + sent.invalid] + list(bad)
    mixed += [json.dumps(e).encode() for e in sent.valid[150:]]
    for number, value in enumerate(mixed):
        producer.produce(job.input_topic, value=value, partition=number % PARTITIONS)
    assert producer.flush(30) == 0
    job_runner = runner(job, kafka_broker, azurite, scoring_server.scoring_uri, max_batch=40)
    dead_container = job.containers[aliases.OUTPUT_DEADLETTER]

    def complete() -> bool:
        job_runner.cycle()
        written = job_runner.stats.rows_out
        return written.get(aliases.OUTPUT_SCORED_BLOB, 0) >= len(sent.valid) and written.get(
            aliases.OUTPUT_DEADLETTER, 0
        ) >= len(sent.invalid) + len(bad)

    try:
        wait_until(complete, 90, "every event written")
    finally:
        job_runner.close()
    scored = Counter(
        r[SCHEMA.id_column] for r in blob_rows(azurite, job.containers[aliases.OUTPUT_SCORED_BLOB])
    )
    assert scored == Counter(e[SCHEMA.id_column] for e in sent.valid)
    dead = blob_rows(azurite, dead_container)
    by_query = [r for r in dead if dead_letter.EVENT not in r and dead_letter.EVENT_BASE64 not in r]
    assert Counter(r[SCHEMA.id_column] for r in by_query) == Counter(
        e[SCHEMA.id_column] for e in sent.invalid
    )
    before_query = {dead_letter.original_bytes(r): r for r in dead if r not in by_query}
    assert len(before_query) == len(dead) - len(by_query) == len(bad), "each unreadable event once"
    for original, words in bad.items():
        row = before_query[original]
        assert words in row[dead_letter.REJECTION], (original, row)
        assert (row[dead_letter.PARTITION], row[dead_letter.OFFSET]) == (
            mixed.index(original) % PARTITIONS,
            mixed.index(original) // PARTITIONS,
        )
    assert dead_letter.EVENT_BASE64 in before_query[b"\xff\xfe{}\x00 not text"]
    assert str(10**30) in before_query[next(b for b in bad if str(10**30).encode() in b)][dead_letter.EVENT]
    accounting = job_runner.accounting()
    assert accounting["events_in"] == len(mixed)
    assert (accounting["scored"], accounting["dead_lettered"]) == (
        len(sent.valid),
        len(sent.invalid) + len(bad),
    )
    assert accounting["dead_lettered_before_query"] == len(bad)
    assert sum(accounting["dropped"].values()) == 0 and accounting["in_flight"] == 0


@pytest.mark.faults
def test_events_the_drop_policy_drops_are_counted_and_logged(
    rendered: Path,
    tmp_path: Path,
    kafka_broker: Broker,
    azurite: Azurite,
    scoring_server: ScoringServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Out-of-order events under the Drop policy leave no row anywhere (as in the service): each one is
    in the accounting's `dropped` and the log names the partition and offsets of its batch."""
    job = isolated(rendered, tmp_path)
    config = job.folder / "JobConfig.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "EventsOutOfOrderPolicy": "Drop"}))
    sent = traffic(100, seed=12)
    in_order, behind = sent.valid[:80], sent.valid[80:]
    late_times = [e[SCHEMA.time_column] for e in sent.valid[:20]]  # before the partition's latest event
    behind = [{**event, SCHEMA.time_column: when} for event, when in zip(behind, late_times, strict=True)]
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    produce(kafka_broker, job.input_topic, in_order, partition=0)
    produce(kafka_broker, job.input_topic, behind, partition=0)
    job_runner = runner(job, kafka_broker, azurite, scoring_server.scoring_uri, max_batch=30)
    try:
        with caplog.at_level("WARNING", logger="streaming.runtime.loop"):
            wait_until(
                lambda: (
                    job_runner.cycle() >= 0
                    and job_runner.accounting()["events_in"] == 100
                    and job_runner.accounting()["in_flight"] == 0
                ),
                60,
                "every event accounted for",
            )
    finally:
        job_runner.close()
    accounting = job_runner.accounting()
    assert accounting["dropped"]["out of order (Drop policy)"] == len(behind)
    assert accounting["scored"] == len(in_order) and accounting["dead_lettered"] == 0
    scored = {r[SCHEMA.id_column] for r in blob_rows(azurite, job.containers[aliases.OUTPUT_SCORED_BLOB])}
    assert scored == {e[SCHEMA.id_column] for e in in_order}
    logged = [r.getMessage() for r in caplog.records if "Drop policy" in r.getMessage()]
    assert logged and sum(int(m.split(" late, ")[1].split(" out of")[0]) for m in logged) == len(behind)
    assert all("partition 0 offsets" in m for m in logged)
    # Each dropped event is logged and counted once: not again by the late-rows counter ...
    assert not [
        r.getMessage() for r in caplog.records if "dropped" in r.getMessage() and r.getMessage() not in logged
    ]
    assert job_runner.stats.late == {"window_late_rows": 0}
    # ... and every event read is in exactly one place of the accounting.
    assert accounting["events_in"] == (
        accounting["scored"]
        + accounting["dead_lettered"]
        + sum(accounting["dropped"].values())
        + accounting["in_flight"]
    )
