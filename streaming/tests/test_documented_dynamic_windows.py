"""Golden cases of sliding and session windows, from the reference pages "Sliding Window" and "Session
Window" (learn.microsoft.com/stream-analytics-query/sliding-window-azure-stream-analytics and
.../session-window-azure-stream-analytics) and the windowing article ("Stream Analytics windowing
functions"): their example queries, with inputs written for them (the stored pages give the data of the
session example only in part), and the documented rules: a sliding window outputs "when an event
entered or exits the window", a session extends while events come within the timeout and is checked
for its maximum duration at t = 0, M, 2M, ..., and `OVER (PARTITION BY k)` gives each key its own
sessions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from streaming.engine import Engine, EventOrdering, InputEvent, compile_query, records
from streaming.engine.errors import PlanError
from streaming.tests.test_documented_semantics import run_case

DAY = "2026-11-29T10:"


def at(clock: str) -> str:
    return f"{DAY}{clock}Z"


def arrived(text: str) -> datetime:
    """An arrival time equal to the event time (events are neither late nor early)."""
    return datetime.fromisoformat(text)


def out(clock: str) -> str:
    return f"{DAY}{clock}.0000000Z"


# "Sliding Window": "This example finds all toll booths which have served more than 3 vehicles in the
# last 5 minutes".
TOLL_QUERY = """
    SELECT DateAdd(minute,-5,System.Timestamp()) AS WinStartTime, System.Timestamp() AS WinEndTime,
           TollId, COUNT(*)
    FROM Input TIMESTAMP BY EntryTime
    GROUP BY TollId, SlidingWindow(minute, 5)
    HAVING COUNT(*) > 3
"""


def test_sliding_window_toll_booths_with_more_than_3_vehicles_in_5_minutes(tmp_path: Path) -> None:
    entries = [
        {"TollId": 1, "EntryTime": at("00:00")},
        {"TollId": 1, "EntryTime": at("01:00")},
        {"TollId": 2, "EntryTime": at("01:30")},
        {"TollId": 1, "EntryTime": at("02:00")},
        {"TollId": 1, "EntryTime": at("03:00")},  # 4th in (10:-2, 10:03]
        {"TollId": 1, "EntryTime": at("04:00")},  # 5th
        {"TollId": 2, "EntryTime": at("04:30")},
    ]
    # windows of booth 1 end at each entry and at each entry + 5 min (exit); HAVING keeps 4 and more:
    # 10:03 (4), 10:04 (5), 10:05 (the 10:00 car has left: 4), 10:06 (3) is dropped
    expected = [
        {"WinStartTime": "2026-11-29T09:58:00.0000000Z", "WinEndTime": out("03:00"), "TollId": 1, "count": 4},
        {"WinStartTime": "2026-11-29T09:59:00.0000000Z", "WinEndTime": out("04:00"), "TollId": 1, "count": 5},
        {"WinStartTime": out("00:00"), "WinEndTime": out("05:00"), "TollId": 1, "count": 4},
    ]
    run_case(tmp_path, TOLL_QUERY, {"Input": entries}, {"output": expected})


def test_sliding_window_outputs_when_an_event_enters_or_exits() -> None:
    """Every change of content is a window: 3 entries, then 3 exits of which the last leaves it empty."""
    plan = compile_query(
        "SELECT k, COUNT(*) AS n, System.Timestamp() AS t FROM s TIMESTAMP BY at GROUP BY k, SlidingWindow(second, 10)"
    )
    engine = Engine(plan, EventOrdering(late_arrival_max_delay_s=-1, out_of_order_max_delay_s=0))
    rows = [{"k": "a", "at": at(f"00:0{s}")} for s in (1, 2, 3)]
    got = records(engine.process("s", [InputEvent(r, arrived(r["at"])) for r in rows]) + engine.flush())
    assert [(r.payload["t"], r.payload["n"]) for r in got] == [
        (out("00:01"), 1),
        (out("00:02"), 2),
        (out("00:03"), 3),
        (out("00:11"), 2),  # 10:00:01 has left (windows are (end - size, end])
        (out("00:12"), 1),
    ]


# "Session Window": "Find the count of clicks and the session window duration per user" in the page's
# example: SessionWindow(second, 60, 300) OVER (PARTITION BY user_id), timeout 1 minute, max 5 minutes.
SESSION_QUERY = """
    SELECT
        user_id,
        MIN(time) AS window_start,
        System.Timestamp() AS window_end,
        DATEDIFF(s, MIN(time), System.Timestamp()) AS duration_in_seconds
    FROM clickstream TIMESTAMP BY time
    GROUP BY user_id, SessionWindow(second, 60, 300) OVER (PARTITION BY user_id)
"""


def test_session_window_per_user_reference_example(tmp_path: Path) -> None:
    clicks = [
        {"time": at("00:00"), "user_id": 0, "url": "www.example.com/a.html"},
        {"time": at("00:20"), "user_id": 0, "url": "www.example.com/b.html"},
        {"time": at("00:55"), "user_id": 2, "url": "www.example.com/e.html"},
        {"time": at("01:10"), "user_id": 1, "url": "www.example.com/c.html"},
        {"time": at("01:15"), "user_id": 0, "url": "www.example.com/d.html"},
        {"time": at("01:55"), "user_id": 1, "url": "www.example.com/f.html"},
    ]
    # user 0: 00:00, 00:20, 01:15 (55 s after 00:20) -> ends 02:15; user 1: 01:10, 01:55 -> 02:55;
    # user 2 alone (its click does not extend user 0's session: sessions are per user)
    expected = [
        {"user_id": 0, "window_start": at("00:00"), "window_end": out("02:15"), "duration_in_seconds": 135},
        {"user_id": 1, "window_start": at("01:10"), "window_end": out("02:55"), "duration_in_seconds": 105},
        {"user_id": 2, "window_start": at("00:55"), "window_end": out("01:55"), "duration_in_seconds": 60},
    ]
    run_case(tmp_path, SESSION_QUERY, {"clickstream": clicks}, {"output": expected})


def test_session_window_closes_at_the_timeout_and_at_a_max_duration_check_point(tmp_path: Path) -> None:
    """Timeout 5 minutes, maximum 10 minutes (the page's diagram): checks at multiples of 10 minutes."""
    query = """
        SELECT COUNT(*) AS n, System.Timestamp() AS window_end
        FROM input TIMESTAMP BY t
        GROUP BY SessionWindow(minute, 5, 10)
    """
    minutes = [1, 4, 8, 12, 15, 19, 23, 40]  # every gap under 5 min until 23; 40 is alone
    rows = [{"t": at(f"{m:02d}:00")} for m in minutes]
    # start 10:01: the check at 10:10 has 9 min < 10, the check at 10:20 has 19 >= 10 -> closes at 10:20
    # with 1..19; a new window opens at 10:20 (activity goes on) and holds 23, ending 10:28 by timeout;
    # 10:40 is a session of its own ending 10:45
    expected = [
        {"n": 6, "window_end": out("20:00")},
        {"n": 1, "window_end": out("28:00")},
        {"n": 1, "window_end": out("45:00")},
    ]
    run_case(tmp_path, query, {"input": rows}, {"output": expected})


def test_session_window_without_partition_is_shared_by_the_group_keys(tmp_path: Path) -> None:
    """Without OVER (PARTITION BY), sessions are found over all events and GROUP BY splits them: user
    2's click keeps the session open for user 0."""
    query = """
        SELECT user_id, COUNT(*) AS n, System.Timestamp() AS window_end
        FROM input TIMESTAMP BY time
        GROUP BY user_id, SessionWindow(second, 60, 300)
    """
    clicks = [
        {"time": at("00:00"), "user_id": 0},
        {"time": at("00:50"), "user_id": 2},
        {"time": at("01:40"), "user_id": 0},
    ]
    expected = [
        {"user_id": 0, "n": 2, "window_end": out("02:40")},
        {"user_id": 2, "n": 1, "window_end": out("02:40")},
    ]
    run_case(tmp_path, query, {"input": clicks}, {"output": expected})


def test_session_state_survives_a_restart() -> None:
    """An open session is in the snapshot: a restored engine ends it with the events before the restart."""
    plan = compile_query(
        "SELECT COUNT(*) AS n, System.Timestamp() AS e FROM s TIMESTAMP BY at GROUP BY SessionWindow(second, 30, 600)"
    )
    ordering = EventOrdering(late_arrival_max_delay_s=-1, out_of_order_max_delay_s=0)
    first = Engine(plan, ordering)
    assert records(first.process("s", [InputEvent({"at": at("00:00")}, arrived(at("00:00")))])) == []
    second = Engine(plan, ordering)
    second.restore(first.snapshot())
    got = records(
        second.process("s", [InputEvent({"at": at("00:20")}, arrived(at("00:20")))]) + second.flush()
    )
    assert [r.payload for r in got] == [{"n": 2, "e": out("00:50")}]


@pytest.mark.parametrize(
    "window",
    [
        "SlidingWindow(second)",
        "SessionWindow(second, 10)",
        "SessionWindow(Timeout(second, 10))",
        "Windows(x)",
    ],
)
def test_malformed_dynamic_windows_are_refused_at_their_position(window: str) -> None:
    with pytest.raises(PlanError) as refused:
        compile_query(f"SELECT COUNT(*) AS n FROM s\nGROUP BY {window}")
    assert (refused.value.line, refused.value.column) == (2, 10)


def test_session_window_user_duration_query_pattern(tmp_path: Path) -> None:
    """Query patterns: "Session Windows": per user, a session closing after 1 minute without a click
    (maximum 60 minutes), with its first and last click and the seconds between them."""
    query = """
        SELECT user_id, MIN(time) as StartTime, MAX(time) as EndTime,
            DATEDIFF(second, MIN(time), MAX(time)) AS duration_in_seconds
        FROM input TIMESTAMP BY time
        GROUP BY user_id, SessionWindow(minute, 1, 60) OVER (PARTITION BY user_id)
    """
    clicks = [(0, "00:00", "a"), (0, "00:20", "b"), (1, "00:55", "c"), (0, "01:10", "d"), (1, "01:15", "e")]
    rows = [
        {"User_id": user, "Time": f"2017-01-26T00:{clock}.0000000Z", "URL": f"www.example.com/{page}.html"}
        for user, clock, page in clicks
    ]
    expected = [
        {"user_id": 0, "StartTime": "2017-01-26T00:00:00.0000000Z", "EndTime": "2017-01-26T00:01:10.0000000Z",
         "duration_in_seconds": 70},
        {"user_id": 1, "StartTime": "2017-01-26T00:00:55.0000000Z", "EndTime": "2017-01-26T00:01:15.0000000Z",
         "duration_in_seconds": 20},
    ]  # fmt: skip
    run_case(tmp_path, query, {"input": rows}, {"output": expected})


OVEN_QUERY = """
    WITH max_power_during_last_3_mins AS (
        SELECT System.TimeStamp() AS windowTime, deviceId, max(value) as maxPower
        FROM input TIMESTAMP BY t
        WHERE sensorName = 'power'
        GROUP BY deviceId, SlidingWindow(minute, 3)
    )
    SELECT t1.t AS eventTime, t1.deviceId, t1.value AS temp,
        'Short circuit heating elements' as alertMessage, t2.maxPower AS maxPowerDuringLast3mins
    INTO resultsr
    FROM input t1 TIMESTAMP BY t
    JOIN max_power_during_last_3_mins t2
        ON t1.deviceId = t2.deviceId AND t1.t = t2.windowTime AND DATEDIFF(minute,t1,t2) between 0 and 3
    WHERE t1.sensorName = 'temp' AND t1.value <= 40 AND t2.maxPower > 10
"""
OVEN = [
    {"t": f"2018-01-01T16:{minute:02d}:00", "deviceId": "Oven1", "sensorName": sensor, "value": value}
    for minute, (temp, power) in enumerate(
        [(120, 15), (100, 15), (70, 15), (50, 15), (30, 8), (20, 8), (20, 8), (20, 8)], start=1
    )
    for sensor, value in (("temp", temp), ("power", power))
]
OVEN_ALERT = {
    "deviceId": "Oven1",
    "alertMessage": "Short circuit heating elements",
    "maxPowerDuringLast3mins": 15,
}


@pytest.mark.xfail(
    strict=True,
    reason="the article's third row (16:07, max power 15) needs the power reading of 16:04 inside the "
    "sliding window ending at 16:07, i.e. [end - 3 min, end]; the engine reads every window as (end - size, "
    "end], the tumbling and hopping pages' rule, so its maximum at 16:07 is 8 and it gives two rows. "
    "The pages do not state the sliding window's start boundary: settle it with the real tool",
)
def test_correlate_two_event_types_within_the_same_stream_query_pattern(tmp_path: Path) -> None:
    """Query patterns (2019 revision): "Correlate two event types within the same stream" (a sliding
    window's maximum joined back to the stream; the article's input column is `t`, as its query reads)."""
    expected = [
        {"eventTime": "2018-01-01T16:05:00", "temp": 30, **OVEN_ALERT},
        {"eventTime": "2018-01-01T16:06:00", "temp": 20, **OVEN_ALERT},
        {"eventTime": "2018-01-01T16:07:00", "temp": 20, **OVEN_ALERT},
    ]
    run_case(tmp_path, OVEN_QUERY, {"input": OVEN}, {"resultsr": expected})
