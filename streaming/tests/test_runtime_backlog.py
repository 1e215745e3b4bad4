"""Windows count what was scored when the runtime falls behind, on the real broker (Tansu), Azurite and
azmlinfsrv: a backlog produced before the runtime starts, and the scoring server paused (SIGSTOP) while
events keep coming. Events are stamped when sent, as `python -m streaming produce` does, so event times
follow the broker's enqueue times, and the job keeps the environment's late-arrival tolerance: windows
close by the watermark alone (the events' enqueue times, then idle progress once the backlog is read).
The per-category aggregate uses 10-second windows here (the rendered query says 1 minute) so that a test
crosses many window ends and ends soon after its last event.
"""

from __future__ import annotations

import json
import math
import os
import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from environments.standins import Azurite, Broker, wait_until
from streaming import aliases
from streaming.producer import EventGenerator, send_events
from streaming.producer.events import format_event_time
from streaming.runtime import RunError, Runner, ensure_topics
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
from streaming.testing import STAND_IN_SCORE_SCRIPT, ScoringServer, start_scoring_server

pytestmark = [pytest.mark.services, pytest.mark.slow]

__all__ = ["rendered", "running"]  # fixtures, imported with the helpers they work with
WINDOW_US = 10 * 1_000_000


def behind_job(rendered: Path, tmp_path: Path) -> Job:
    """An isolated job with the rendered late-arrival tolerance and a 10-second aggregate window."""
    job = isolated(rendered, tmp_path)
    config = job.folder / "JobConfig.json"
    document = json.loads(config.read_text())
    document["EventsLateArrivalMaxDelayInSeconds"] = json.loads((rendered / "JobConfig.json").read_text())[
        "EventsLateArrivalMaxDelayInSeconds"
    ]
    assert document["EventsLateArrivalMaxDelayInSeconds"] >= 0, "the test needs a finite tolerance"
    config.write_text(json.dumps(document))
    (query,) = job.folder.glob("*.asaql")
    text = query.read_text()
    assert text.count("TumblingWindow(minute, 1)") == 1, "the aggregate's window changed: update this test"
    query.write_text(text.replace("TumblingWindow(minute, 1)", "TumblingWindow(second, 10)"))
    return job


def produce_now(
    broker: Broker, topic: str, count: int, seed: int, rate: float | None, sent: list[int] | None = None
) -> None:
    """`count` generated events keyed by id, each stamped with the time it is sent (at `rate` per second)."""
    generator = EventGenerator(SCHEMA, seed)

    def stamp(event: dict[str, Any]) -> dict[str, Any]:
        return {**event, SCHEMA.time_column: format_event_time(datetime.now(UTC))}

    events = (generator.event(datetime.now(UTC)) for _ in range(count))
    send_events(
        {"bootstrap.servers": broker.bootstrap_servers},
        topic,
        events,
        rate=rate,
        key_field=SCHEMA.id_column,
        stamp=stamp,
        progress=None if sent is None else sent.append,
    )


def window_end(event_time: str) -> str:
    """The end of the 10-second window (end - 10 s, end] holding a scored row's event time."""
    whole = datetime.fromisoformat(event_time[:19] + "+00:00")
    micros = int(whole.timestamp()) * 1_000_000 + int(event_time[20:26])
    end = math.ceil(micros / WINDOW_US) * WINDOW_US
    return format_event_time(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=end))


def scored_per_window(azurite: Azurite, job: Job) -> Counter[tuple[str, str]]:
    scored = blob_rows(azurite, job.containers[aliases.OUTPUT_SCORED_BLOB])
    return Counter((r["merchant_category"], window_end(r[SCHEMA.time_column])) for r in scored)


def counted_per_window(azurite: Azurite, job: Job) -> Counter[tuple[str, str]]:
    rows = blob_rows(azurite, job.containers[aliases.OUTPUT_CATEGORY_AGGREGATES])
    counted: Counter[tuple[str, str]] = Counter()
    for row in rows:
        counted[(row["merchant_category"], row["window_end"])] += row["events"]
    return counted


def assert_windows_count_what_was_scored(azurite: Azurite, job: Job, job_runner: Runner, total: int) -> None:
    def every_window_out() -> bool:
        scored = scored_per_window(azurite, job)
        return sum(scored.values()) >= total and set(counted_per_window(azurite, job)) >= set(scored)

    deadline = time.monotonic() + 120  # then compare anyway: the difference shows what is missing
    while not every_window_out() and time.monotonic() < deadline:
        time.sleep(1)
    scored = scored_per_window(azurite, job)
    assert sum(scored.values()) == total
    assert counted_per_window(azurite, job) == scored
    assert job_runner.stats.late == {"window_late_rows": 0}
    assert sum(job_runner.accounting()["dropped"].values()) == 0


@pytest.mark.faults
def test_a_backlog_read_after_the_fact_is_counted_in_every_window(
    rendered: Path,
    tmp_path: Path,
    kafka_broker: Broker,
    azurite: Azurite,
    scoring_server: ScoringServer,
    running: list,
) -> None:
    job = behind_job(rendered, tmp_path)
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    count = 20_000
    produce_now(kafka_broker, job.input_topic, count, seed=11, rate=None)
    produced = datetime.now(UTC)
    # The backlog is older than the tolerance and a window when the runtime starts (as after a restart):
    # a watermark moved by the processing clock would close every window before most events are read.
    wait_until(lambda: datetime.now(UTC) - produced > timedelta(seconds=20), 30, "the backlog to age")
    job_runner = runner(job, kafka_broker, azurite, scoring_server.scoring_uri, max_batch=5000)
    start(job_runner, running)
    assert_windows_count_what_was_scored(azurite, job, job_runner, count)


@pytest.mark.faults
def test_a_paused_endpoint_delays_windows_but_counts_every_event(
    rendered: Path, tmp_path: Path, kafka_broker: Broker, azurite: Azurite, running: list
) -> None:
    job = behind_job(rendered, tmp_path)
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], PARTITIONS)
    server = start_scoring_server(STAND_IN_SCORE_SCRIPT, tmp_path / "scoring")
    group = os.getpgid(server.process.pid)  # azmlinfsrv and its workers (a session of their own)
    paused = False
    try:
        job_runner = runner(job, kafka_broker, azurite, server.scoring_uri, max_batch=5000)
        start(job_runner, running)
        count, rate = 8_000, 250.0
        sent: list[int] = []
        producer = threading.Thread(
            target=produce_now, args=(kafka_broker, job.input_topic, count, 12, rate, sent), daemon=True
        )
        producer.start()
        wait_until(
            lambda: job_runner.stats.rows_out.get(aliases.OUTPUT_SCORED_BLOB, 0) >= 1000,
            60,
            "first rows scored",
        )
        os.killpg(group, signal.SIGSTOP)
        paused = True
        at_pause = sent[-1] if sent else 0
        # Paused for longer than the late-arrival tolerance and a window: 5,000 events (20 s at 250/s).
        wait_until(lambda: bool(sent) and sent[-1] - at_pause >= 5000, 60, "events produced while paused")
        os.killpg(group, signal.SIGCONT)
        paused = False
        producer.join(60)
        assert not producer.is_alive()
        assert_windows_count_what_was_scored(azurite, job, job_runner, count)
    finally:
        if paused:
            os.killpg(group, signal.SIGCONT)
        server.stop()


def test_a_topic_with_fewer_partitions_than_the_input_names_is_refused(
    rendered: Path, tmp_path: Path, kafka_broker: Broker, azurite: Azurite, scoring_server: ScoringServer
) -> None:
    """Windows wait for every partition the input names; one that does not exist would hold them forever."""
    job = behind_job(rendered, tmp_path)
    ensure_topics({"bootstrap.servers": kafka_broker.bootstrap_servers}, [job.input_topic], 1)
    with pytest.raises(
        RunError, match=f"topic {job.input_topic} has 1 partition.*PartitionCount {PARTITIONS}"
    ):
        runner(job, kafka_broker, azurite, scoring_server.scoring_uri)
