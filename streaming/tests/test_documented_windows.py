"""Golden cases of snapshot windows (`GROUP BY ..., System.Timestamp()`), from the reference page
"Snapshot window" (MicrosoftDocs/azure-reference-other stream-analytics-docs/
snapshot-window-azure-stream-analytics.md): its tumbling-window snapshot example, with inputs written
for it since the page gives none."""

from __future__ import annotations

from pathlib import Path

from streaming.tests.test_documented_semantics import run_case

TWEETS = [
    {"Topic": "a", "User": "u1", "CreatedAt": "2026-11-29T00:05:00Z"},
    {"Topic": "a", "User": "u1", "CreatedAt": "2026-11-29T00:10:00Z"},
    {"Topic": "a", "User": "u2", "CreatedAt": "2026-11-29T00:20:00Z"},
    {"Topic": "b", "User": "u1", "CreatedAt": "2026-11-29T00:40:00Z"},
]
PER_INTERVAL = """
    WITH PerInterval AS (
        SELECT Topic, User, COUNT(*)
        FROM TwitterStream TIMESTAMP BY CreatedAt
        GROUP BY Topic, User, TumblingWindow(minute, 30)
    )
"""


def test_snapshot_window_groups_the_results_of_one_window_end(tmp_path: Path) -> None:
    query = (
        PER_INTERVAL
        + """
        SELECT Topic, Users = COUNT(*), Total = SUM (count), System.Timestamp() AS t
        FROM PerInterval
        GROUP BY Topic, System.Timestamp()
    """
    )
    expected = [
        {"Topic": "a", "Users": 2, "Total": 3, "t": "2026-11-29T00:30:00.0000000Z"},
        {"Topic": "b", "Users": 1, "Total": 1, "t": "2026-11-29T01:00:00.0000000Z"},
    ]
    run_case(tmp_path, query, {"TwitterStream": TWEETS}, {"output": expected})


def test_system_timestamp_beside_a_window_is_a_key(tmp_path: Path) -> None:
    """ "...add a tumbling window of 2 hours to the GROUP BY clause": every 30-minute result, at the end
    of the 2-hour window."""
    query = (
        PER_INTERVAL
        + """
        SELECT Topic, Users = COUNT(*), Total = SUM (count), System.Timestamp() AS t
        FROM PerInterval
        GROUP BY Topic, System.Timestamp(), Tumbling (hour, 2)
    """
    )
    expected = [
        {"Topic": "a", "Users": 2, "Total": 3, "t": "2026-11-29T02:00:00.0000000Z"},
        {"Topic": "b", "Users": 1, "Total": 1, "t": "2026-11-29T02:00:00.0000000Z"},
    ]
    run_case(tmp_path, query, {"TwitterStream": TWEETS}, {"output": expected})


def test_top_one_reference_example(tmp_path: Path) -> None:
    """ "TopOne": `TopOne() OVER (ORDER BY value DESC) as topEvent ... GROUP BY Tumbling(second, 10)`."""
    rows = [
        {"value": 3, "time": "2026-11-29T10:00:01Z"},
        {"value": 7, "time": "2026-11-29T10:00:02Z"},
        {"value": 7, "time": "2026-11-29T10:00:03Z"},
        {"value": 1, "time": "2026-11-29T10:00:12Z"},
    ]
    query = """
        SELECT TopOne() OVER (ORDER BY value DESC) as topEvent
        FROM input TIMESTAMP BY time
        GROUP BY Tumbling(second, 10)
    """
    expected = [{"topEvent": rows[1]}, {"topEvent": rows[3]}]  # a tie keeps the first event
    run_case(tmp_path, query, {"input": rows}, {"output": expected})


def test_top_one_fills_missing_values_query_pattern() -> None:
    """Query patterns: "Fill missing values": an event every 5 seconds with the last one seen in 300 s.
    The article's output table shows the first 10 rows, its times shifted by the author's time zone
    (14:01 for 06:01); the values and the cadence are the article's."""
    from datetime import UTC, datetime

    from streaming.engine import Engine, InputEvent, compile_query, records

    query = """
        SELECT System.Timestamp() AS windowEnd, TopOne() OVER (ORDER BY t DESC) AS lastEvent
        FROM input TIMESTAMP BY t
        GROUP BY HOPPINGWINDOW(second, 300, 5)
    """
    seen = [
        ("06:01:00", 1),
        ("06:01:05", 2),
        ("06:01:10", 3),
        ("06:01:15", 4),
        ("06:01:30", 5),
        ("06:01:35", 6),
    ]
    rows = [{"t": f"2014-01-01T{clock}", "value": value} for clock, value in seen]
    engine = Engine(compile_query(query))
    events = [InputEvent(row, datetime.fromisoformat(row["t"]).replace(tzinfo=UTC), 0) for row in rows]
    out = records(engine.process("input", events))
    out += records(engine.flush())
    first = [(r.payload["windowEnd"][11:19], r.payload["lastEvent"]["value"]) for r in out[:10]]
    assert first == [
        ("06:01:00", 1), ("06:01:05", 2), ("06:01:10", 3), ("06:01:15", 4), ("06:01:20", 4),
        ("06:01:25", 4), ("06:01:30", 5), ("06:01:35", 6), ("06:01:40", 6), ("06:01:45", 6),
    ]  # fmt: skip
    # the last window holding the 06:01:35 event ends 300 s later, exclusive: (06:01:30, 06:06:30]
    assert out[-1].payload["windowEnd"].startswith("2014-01-01T06:06:30")


def test_remove_duplicate_events_in_a_window_query_pattern(tmp_path: Path) -> None:
    """Query patterns: "Remove duplicate events in a window": a snapshot window groups the duplicates
    (COUNT(DISTINCT Time)), then AVG per device over 5 minutes: 70 for device 1, 45 for device 2."""
    query = """
        With Temp AS (
            SELECT COUNT(DISTINCT Time) AS CountTime, Value, DeviceId
            FROM Input TIMESTAMP BY Time
            GROUP BY Value, DeviceId, SYSTEM.TIMESTAMP()
        )
        SELECT AVG(Value) AS AverageValue, DeviceId
        INTO Output
        FROM Temp
        GROUP BY DeviceId,TumblingWindow(minute, 5)
    """
    readings = [(1, 1, 50), (1, 1, 50), (2, 1, 40), (1, 5, 60), (2, 5, 50), (1, 10, 100)]
    rows = [
        {
            "DeviceId": device,
            "Time": f"2018-07-27T00:00:{second:02d}.0000000Z",
            "Attribute": "Temperature",
            "Value": value,
        }
        for device, second, value in readings
    ]
    expected = [{"AverageValue": 70.0, "DeviceId": 1}, {"AverageValue": 45.0, "DeviceId": 2}]
    run_case(tmp_path, query, {"Input": rows}, {"Output": expected})


def test_tumbling_window_reference_example_with_an_offset(tmp_path: Path) -> None:
    """ "Tumbling Window": `GROUP BY TollId, TumblingWindow(Duration(hour, 1), Offset(millisecond, -1))`
    includes the events at the start of each hour and excludes those at its end; the unnamed COUNT(*)
    is output as `count`. The page gives no data: events at 10:00:00, 10:30:00 and 11:00:00 here."""
    query = """
        SELECT System.Timestamp() AS WindowEnd, TollId, COUNT(*)
        FROM Input TIMESTAMP BY EntryTime
        GROUP BY TollId, TumblingWindow(Duration(hour, 1), Offset(millisecond, -1))
    """
    rows = [
        {"TollId": 1, "EntryTime": f"2026-11-29T{clock}Z"} for clock in ("10:00:00", "10:30:00", "11:00:00")
    ]
    expected = [
        {"WindowEnd": "2026-11-29T10:59:59.9990000Z", "TollId": 1, "count": 2},
        {"WindowEnd": "2026-11-29T11:59:59.9990000Z", "TollId": 1, "count": 1},
    ]
    run_case(tmp_path, query, {"Input": rows}, {"output": expected})


def test_hopping_window_reference_example(tmp_path: Path) -> None:
    """ "Hopping Window": `HoppingWindow(Duration(hour, 1), Hop(minute, 5), Offset(millisecond, -1))`: a
    window of an hour every 5 minutes; one event at 10:00:00 is in the twelve windows that start at or
    before it (each ending 5 minutes later, less a millisecond). The page gives no data."""
    query = """
        SELECT System.Timestamp() AS WindowEnd, TollId, COUNT(*)
        FROM Input TIMESTAMP BY EntryTime
        GROUP BY TollId, HoppingWindow(Duration(hour, 1), Hop(minute, 5), Offset(millisecond, -1))
    """
    rows = [{"TollId": 1, "EntryTime": "2026-11-29T10:00:00Z"}]
    expected = [
        {
            "WindowEnd": f"2026-11-29T{10 + (m + 4) // 60}:{(m + 4) % 60:02d}:59.9990000Z",
            "TollId": 1,
            "count": 1,
        }
        for m in range(0, 60, 5)
    ]
    run_case(tmp_path, query, {"Input": rows}, {"output": expected})
