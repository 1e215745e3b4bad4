"""The watermark while a backlog is read (pure): it follows the events' enqueue times, and idle progress
by the reader's clock happens only for partitions whose backlog is read (`streaming/runtime/progress.py`;
"Understand time handling in Azure Stream Analytics", How time progresses)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from streaming.engine import Engine, EventOrdering, InputEvent, compile_query, records
from streaming.engine.values import datetime_to_micros
from streaming.runtime.progress import PartitionProgress

START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
SECOND = 1_000_000
COUNTS = """
SELECT COUNT(*) AS n, System.Timestamp() AS window_end INTO counts FROM events TIMESTAMP BY t
GROUP BY TumblingWindow(minute, 1)
"""


def us(moment: datetime) -> int:
    return datetime_to_micros(moment)


def backlog(count: int, partitions: int) -> list[list[InputEvent]]:
    """Per partition, events over three minutes, each enqueued when it happened (as the producer sends)."""
    logs: list[list[InputEvent]] = [[] for _ in range(partitions)]
    for i in range(count):
        when = START + timedelta(seconds=0.5 + 180 * i / count)
        logs[i % partitions].append(InputEvent({"t": when.isoformat()}, when, i % partitions))
    return logs


def expected_counts(logs: list[list[InputEvent]]) -> Counter[str]:
    """Events per one-minute window (end - 1 min, end], by window end "HH:MM"."""
    ends = (
        START + timedelta(minutes=-(-(e.arrival_time - START) // timedelta(minutes=1)))
        for log in logs
        for e in log
    )
    return Counter(end.strftime("%H:%M") for end in ends)


def window_counts(batches: list) -> Counter[str]:
    return Counter({r.payload["window_end"][11:16]: r.payload["n"] for r in records(batches)})


def read_like_the_runtime(
    engine: Engine, logs: list[list[InputEvent]], batch: int, now: datetime, stall_at: int
) -> list:
    """Reads the logs from the start as a runtime that started at `now`, behind: polls half a second apart,
    each of `batch` events of one partition in turn (as a Kafka client hands out one partition's fetched
    messages), idle progress after each poll for the partitions read to the end. Poll number `stall_at`
    takes 90 s (an endpoint outage blocks the runtime meanwhile)."""
    progress = PartitionProgress()
    positions = [0] * len(logs)
    outputs: list = []
    now_us = us(now)
    for poll in range(10_000):
        partition = poll % len(logs)
        events = logs[partition][positions[partition] : positions[partition] + batch]
        positions[partition] += len(events)
        if events:
            progress.read(partition, positions[partition], us(events[-1].arrival_time), now_us)
        else:
            progress.reached_end(partition, positions[partition])
        if events:
            outputs += engine.process("events", events)
        ends = {partition: len(log) for partition, log in enumerate(logs)}
        outputs += engine.advance_partitions("events", progress.idle_arrivals(ends, now_us))
        now_us += 90 * SECOND if poll == stall_at else SECOND // 2
        if positions == list(ends.values()) and engine.counters()["windows"]["#1"]["open"] == 0:
            return outputs
    raise AssertionError("the windows never closed")


def test_a_backlog_read_behind_the_clock_counts_every_event_in_its_window() -> None:
    logs = backlog(3000, partitions=2)
    engine = Engine(compile_query(COUNTS), EventOrdering(5, 0, "Adjust"), partitions={"events": range(2)})
    outputs = read_like_the_runtime(engine, logs, batch=100, now=START + timedelta(minutes=30), stall_at=3)
    assert window_counts(outputs) == expected_counts(logs)
    assert sorted(expected_counts(logs)) == ["10:01", "10:02", "10:03", "10:04"]
    assert engine.counters()["windows"]["#1"]["late_rows"] == 0


def test_idle_progress_by_the_processing_clock_during_a_backlog_loses_window_rows() -> None:
    """What the runtime did before: the whole watermark moved to the wall clock after every poll."""
    logs = backlog(3000, partitions=2)
    engine = Engine(compile_query(COUNTS), EventOrdering(5, 0, "Adjust"), partitions={"events": range(2)})
    first = [event for log in logs for event in log[:100]]
    engine.process("events", first)
    outputs = engine.advance(START + timedelta(minutes=30))
    outputs += engine.process("events", [event for log in logs for event in log[100:]])
    assert sum(window_counts(outputs).values()) == 200
    assert engine.counters()["windows"]["#1"]["late_rows"] == 2800


def test_a_partition_with_a_backlog_holds_the_window_while_an_idle_one_moves_on() -> None:
    engine = Engine(compile_query(COUNTS), EventOrdering(5, 0, "Adjust"), partitions={"events": range(2)})
    engine.process("events", [InputEvent({"t": "2026-11-29T10:00:10Z"}, START + timedelta(seconds=10), 0)])
    progress = PartitionProgress()
    now = us(START + timedelta(minutes=30))
    progress.read(0, 1, us(START + timedelta(seconds=10)), now)  # partition 0: 1 of 5 read
    progress.reached_end(1, 0)  # partition 1: empty
    idle = progress.idle_arrivals({0: 5, 1: 0}, now + 60 * SECOND)
    assert idle == {1: now + 60 * SECOND}
    assert records(engine.advance_partitions("events", idle)) == []  # partition 0 still has a backlog
    progress.read(0, 5, us(START + timedelta(seconds=20)), now + 61 * SECOND)
    idle = progress.idle_arrivals({0: 5, 1: 0}, now + 120 * SECOND)
    # Partition 0's clock: its last enqueue time plus the time since that event was read, not the wall clock.
    assert idle[0] == us(START + timedelta(seconds=20)) + 59 * SECOND
    assert [r.payload["n"] for r in records(engine.advance_partitions("events", idle))] == [1]


def test_a_partition_is_idle_only_at_the_brokers_end() -> None:
    progress = PartitionProgress()
    progress.read(0, 10, arrival_us=1_000 * SECOND, now_us=2_000 * SECOND)
    assert progress.idle_arrivals({0: 11}, 2_001 * SECOND) == {}  # one more event to read
    assert progress.idle_arrivals({0: -1001}, 2_001 * SECOND) == {}  # end not known yet
    assert progress.idle_arrivals({0: 10}, 2_003 * SECOND) == {0: 1_003 * SECOND}
    assert progress.idle_arrivals({1: 0}, 2_003 * SECOND) == {}  # partition 1: position not known yet
    progress.reached_end(1, 0)
    assert progress.idle_arrivals({1: 0}, 2_003 * SECOND) == {1: 2_003 * SECOND}  # nothing read: the clock
