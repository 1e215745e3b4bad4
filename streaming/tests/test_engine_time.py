"""Event time semantics: late arrival, out-of-order, early events, watermark-driven window output, state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from streaming.engine import Engine, EventOrdering, InputEvent, compile_query, records
from streaming.engine.ordering import InputClock
from streaming.engine.values import datetime_to_micros, micros_to_datetime

DAY = datetime(2026, 11, 29, tzinfo=UTC)
COUNTS = """
SELECT k, COUNT(*) AS n, System.Timestamp() AS window_end INTO counts FROM events TIMESTAMP BY t
GROUP BY k, TumblingWindow(minute, 1)
SELECT id, System.Timestamp() AS ts INTO rows FROM events TIMESTAMP BY t
"""


def at(clock_time: str) -> datetime:
    hours, minutes, *seconds = (int(part) for part in clock_time.split(":"))
    return DAY + timedelta(hours=hours, minutes=minutes, seconds=seconds[0] if seconds else 0)


def event(t: str, arrival: str, partition: int = 0, key: str = "a", ident: str = "") -> InputEvent:
    payload = {"id": ident or t, "k": key, "t": at(t).isoformat()}
    return InputEvent(payload, at(arrival), partition)


DOCUMENTED_TABLE = [  # (event time, arrival time): docs/stream-analytics-semantics.md §2, seconds read as minutes
    ("10:00", "10:40"),
    ("10:30", "10:41"),
    ("10:42", "10:42"),
    ("10:38", "10:43"),
    ("10:35", "10:45"),
]


def clock_fed_the_documented_table(policy: str) -> InputClock:
    """L=15, O=5 (minutes here) with `policy`, every row of the documented table accepted."""
    clock = InputClock(EventOrdering(15 * 60, 5 * 60, policy), event_time=True)
    for index, (t, arrival) in enumerate(DOCUMENTED_TABLE):
        clock.accept(0, datetime_to_micros(at(t)), datetime_to_micros(at(arrival)), index)
    return clock


def test_documented_late_and_out_of_order_table() -> None:
    """docs/stream-analytics-semantics.md §2 (the event-ordering article's table): L=15, O=5, Adjust, in minutes."""
    clock = clock_fed_the_documented_table("Adjust")
    released = clock.release(flush=True)
    adjusted = {item: micros_to_datetime(ts).strftime("%H:%M") for ts, item in released}
    assert adjusted == {0: "10:25", 1: "10:30", 2: "10:42", 3: "10:38", 4: "10:37"}
    assert clock.counters.late_adjusted == 1
    assert clock.counters.out_of_order_adjusted == 1


def test_drop_policy_drops_late_and_out_of_order() -> None:
    clock = clock_fed_the_documented_table("Drop")
    assert [item for _, item in clock.release(flush=True)] == [1, 3, 2]
    assert (clock.counters.late_dropped, clock.counters.out_of_order_dropped) == (1, 1)


def test_out_of_order_buffer_releases_sorted_when_watermark_passes() -> None:
    engine = Engine(compile_query(COUNTS), EventOrdering(-1, 10, "Adjust"))
    first = records(
        engine.process(
            "events", [event("10:00:05", "10:00:05", ident="a"), event("10:00:02", "10:00:06", ident="b")]
        )
    )
    assert [r for r in first if r.output == "rows"] == []  # both wait: watermark 09:59:55
    later = records(engine.process("events", [event("10:00:20", "10:00:20", ident="c")]))
    assert [r.payload["id"] for r in later if r.output == "rows"] == ["b", "a"]


def test_windows_emit_only_when_the_watermark_passes_their_end() -> None:
    engine = Engine(compile_query(COUNTS), EventOrdering(5, 0, "Adjust"))
    out = records(engine.process("events", [event("10:00:10", "10:00:10"), event("10:00:59", "10:00:59")]))
    assert [r for r in out if r.output == "counts"] == []
    out = records(engine.process("events", [event("10:01:00", "10:01:00")]))
    assert [r for r in out if r.output == "counts"] == []  # 10:01:00 still belongs to (10:00, 10:01]
    out = records(engine.process("events", [event("10:01:01", "10:01:01")]))
    counts = [r.payload for r in out if r.output == "counts"]
    assert counts == [{"k": "a", "n": 3, "window_end": "2026-11-29T10:01:00.0000000Z"}]


def test_idle_input_advances_by_arrival_clock_minus_late_tolerance() -> None:
    engine = Engine(compile_query(COUNTS), EventOrdering(5, 0, "Adjust"))
    engine.process("events", [event("10:00:10", "10:00:10")])
    assert [
        r for r in records(engine.advance(at("10:01:05"))) if r.output == "counts"
    ] == []  # watermark 10:01:00
    emitted = [r.payload["n"] for r in records(engine.advance(at("10:01:06"))) if r.output == "counts"]
    assert emitted == [1]


def test_merged_partitions_wait_for_the_slowest() -> None:
    engine = Engine(compile_query(COUNTS), EventOrdering(-1, 0, "Adjust"), partitions={"events": [0, 1]})
    out = records(
        engine.process("events", [event("10:00:10", "10:00:10", 0), event("10:05:00", "10:05:00", 0)])
    )
    assert [r for r in out if r.output == "counts"] == []  # partition 1 has said nothing yet
    out = records(engine.process("events", [event("10:02:00", "10:02:00", 1)]))
    assert [r.payload["window_end"][11:16] for r in out if r.output == "counts"] == ["10:01"]


def test_early_events_and_bad_timestamps_are_dropped() -> None:
    engine = Engine(compile_query(COUNTS), EventOrdering(5, 0, "Adjust"))
    bad = InputEvent({"id": "x", "k": "a", "t": "not a time"}, at("10:00:00"))
    out = records(
        engine.process(
            "events", [event("10:06:00", "10:00:00"), bad, event("10:00:01", "10:00:01", ident="ok")]
        )
    )
    assert [r.payload["id"] for r in out if r.output == "rows"] == ["ok"]
    counters = engine.counters()["inputs"]["events"]
    assert (counters["early_dropped"], counters["no_timestamp"]) == (1, 1)


def test_snapshot_restore_resumes_open_windows_exactly() -> None:
    events = [event(f"10:00:{s:02d}", f"10:00:{s:02d}", key="ab"[s % 2]) for s in range(0, 60, 3)]
    events += [event("10:01:30", "10:01:30"), event("10:02:30", "10:02:30")]
    whole = Engine(compile_query(COUNTS), EventOrdering(5, 3, "Adjust"))
    expected = records(whole.process("events", events)) + records(whole.flush())

    first = Engine(compile_query(COUNTS), EventOrdering(5, 3, "Adjust"))
    got = records(first.process("events", events[:9]))
    state = json.loads(json.dumps(first.snapshot()))  # must survive a JSON round trip
    second = Engine(compile_query(COUNTS), EventOrdering(5, 3, "Adjust"))
    second.restore(state)
    got += records(second.process("events", events[9:])) + records(second.flush())

    def rows(records: list) -> list[str]:
        return sorted(json.dumps([r.output, r.payload], sort_keys=True) for r in records)

    assert rows(got) == rows(expected)
    assert len([r for r in got if r.output == "counts"]) == 5


def test_a_partition_that_joins_late_cannot_reopen_an_emitted_window() -> None:
    engine = Engine(compile_query(COUNTS), EventOrdering(-1, 0, "Adjust"))
    out = records(
        engine.process("events", [event("10:00:10", "10:00:10", 0), event("10:02:00", "10:02:00", 0)])
    )
    assert [r.payload["n"] for r in out if r.output == "counts"] == [1]
    late = records(engine.process("events", [event("10:00:30", "10:02:01", 1)]))
    assert [r for r in late if r.output == "counts"] == []
    assert [r.payload["id"] for r in late if r.output == "rows"] == ["10:00:30"]
    assert engine.counters()["windows"]["#1"]["late_rows"] == 1
