"""Golden cases of the analytic functions LAG, LAST and ISFIRST with OVER (PARTITION BY, LIMIT DURATION,
WHEN), from "Common query patterns in Azure Stream Analytics" (MicrosoftDocs/azure-docs
articles/stream-analytics/stream-analytics-stream-analytics-query-patterns.md, its input and output
tables) and the reference pages "LAG", "LAST" and "ISFIRST" (MicrosoftDocs/azure-reference-other)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from streaming.engine import Engine, InputEvent, compile_query, records
from streaming.tests.test_documented_semantics import run_case


def at(second: int, minute: int = 0, day: str = "2015-01-01") -> str:
    return f"{day}T00:{minute:02d}:{second:02d}.0000000Z"


def test_lag_determine_if_a_value_has_changed(tmp_path: Path) -> None:
    """Query patterns: "Determine if a value has changed"."""
    query = """
        SELECT Make, Time FROM Input TIMESTAMP BY Time
        WHERE LAG(Make, 1) OVER (LIMIT DURATION(minute, 1)) <> Make
    """
    rows = [{"Make": "Honda", "Time": at(1)}, {"Make": "Toyota", "Time": at(2)}]
    run_case(tmp_path, query, {"Input": rows}, {"output": [rows[1]]})


def test_lag_locate_correlated_events(tmp_path: Path) -> None:
    """Query patterns: "Locate correlated events in a stream" (two consecutive cars of one make)."""
    query = """
        SELECT Make, Time, LicensePlate AS CurrentCarLicensePlate,
            LAG(LicensePlate, 1) OVER (LIMIT DURATION(second, 90)) AS FirstCarLicensePlate,
            LAG(Time, 1) OVER (LIMIT DURATION(second, 90)) AS FirstCarTime
        FROM Input TIMESTAMP BY Time
        WHERE LAG(Make, 1) OVER (LIMIT DURATION(second, 90)) = Make
    """
    rows = [
        {"Make": "Honda", "LicensePlate": "ABC-123", "Time": at(1)},
        {"Make": "Honda", "LicensePlate": "AAA-999", "Time": at(2)},
        {"Make": "Toyota", "LicensePlate": "DEF-987", "Time": at(3)},
        {"Make": "Honda", "LicensePlate": "GHI-345", "Time": at(4)},
    ]
    expected = {
        "Make": "Honda",
        "Time": at(2),
        "CurrentCarLicensePlate": "AAA-999",
        "FirstCarLicensePlate": "ABC-123",
        "FirstCarTime": at(1),
    }
    run_case(tmp_path, query, {"Input": rows}, {"output": [expected]})


TOLL = [
    {"LicensePlate": "DXE 5291", "Make": "Honda", "Time": "2015-07-27T00:00:05.0000000Z"},
    {"LicensePlate": "YZK 5704", "Make": "Ford", "Time": "2015-07-27T00:02:17.0000000Z"},
    {"LicensePlate": "RMV 8282", "Make": "Honda", "Time": "2015-07-27T00:05:01.0000000Z"},
    {"LicensePlate": "YHN 6970", "Make": "Toyota", "Time": "2015-07-27T00:06:00.0000000Z"},
    {"LicensePlate": "VFE 1616", "Make": "Toyota", "Time": "2015-07-27T00:09:31.0000000Z"},
    {"LicensePlate": "QYF 9358", "Make": "Honda", "Time": "2015-07-27T00:12:02.0000000Z"},
    {"LicensePlate": "MDR 6128", "Make": "BMW", "Time": "2015-07-27T00:13:45.0000000Z"},
]


def test_isfirst_find_the_first_event_in_a_window(tmp_path: Path) -> None:
    """Query patterns: "Find the first event in a window"."""
    query = "SELECT LicensePlate, Make, Time FROM Input TIMESTAMP BY Time WHERE IsFirst(minute, 10) = 1"
    run_case(tmp_path, query, {"Input": TOLL}, {"output": [TOLL[0], TOLL[5]]})


def test_isfirst_per_partition(tmp_path: Path) -> None:
    """Query patterns: the first car of each make in every 10-minute interval."""
    query = """
        SELECT LicensePlate, Make, Time FROM Input TIMESTAMP BY Time
        WHERE IsFirst(minute, 10) OVER (PARTITION BY Make) = 1
    """
    expected = [TOLL[0], TOLL[1], TOLL[3], TOLL[5], TOLL[6]]
    run_case(tmp_path, query, {"Input": TOLL}, {"output": expected})


def test_isfirst_with_when_is_zero_for_events_that_do_not_match(tmp_path: Path) -> None:
    """ "ISFIRST": "If the event itself does not satisfy when_expression, the function returns 0"."""
    query = """
        SELECT LicensePlate, ISFIRST(mi, 10) OVER (WHEN Make = 'Toyota') AS firstToyota
        FROM Input TIMESTAMP BY Time
    """
    expected = [{"LicensePlate": row["LicensePlate"], "firstToyota": 0} for row in TOLL]
    expected[3]["firstToyota"] = 1
    run_case(tmp_path, query, {"Input": TOLL}, {"output": expected})


def test_last_detect_the_duration_between_events(tmp_path: Path) -> None:
    """Query patterns: "Detect the duration between events". The article's WHEN compares with 'start'
    while its input says 'Start'; string comparison is case-sensitive in the local engine, so the
    input here says 'start' and 'end' (see the engine README's table)."""
    query = """
        SELECT [user], feature,
            DATEDIFF(second,
                LAST(Time) OVER (PARTITION BY [user], feature LIMIT DURATION(hour, 1) WHEN Event = 'start'),
                Time) as duration
        FROM input TIMESTAMP BY Time
        WHERE Event = 'end'
    """
    rows = [
        {"User": "user@location.com", "Feature": "RightMenu", "Event": "start", "Time": at(1)},
        {"User": "user@location.com", "Feature": "RightMenu", "Event": "end", "Time": at(8)},
    ]
    expected = [{"user": "user@location.com", "feature": "RightMenu", "duration": 7}]
    run_case(tmp_path, query, {"input": rows}, {"output": expected})


def test_lag_with_when_detect_the_duration_of_a_condition(tmp_path: Path) -> None:
    """Query patterns: "Detect the duration of a condition" (LAG over a step's columns, WHEN)."""
    query = """
        WITH SelectPreviousEvent AS (
            SELECT *,
                LAG([time]) OVER (LIMIT DURATION(hour, 24)) as previousTime,
                LAG([weight]) OVER (LIMIT DURATION(hour, 24)) as previousWeight
            FROM input TIMESTAMP BY [time]
        )
        SELECT
            LAG(time) OVER (LIMIT DURATION(hour, 24) WHEN previousWeight < 20000 ) [StartFault],
            previousTime [EndFault]
        FROM SelectPreviousEvent
        WHERE [weight] < 20000 AND previousWeight > 20000
    """
    weights = [2000, 25000, 26000, 25000, 26000, 25000, 26000, 2000]
    makes = ["Honda", "Toyota"] * 4
    rows = [
        {"Make": make, "Time": at(second), "Weight": weight}
        for second, (make, weight) in enumerate(zip(makes, weights, strict=True), start=1)
    ]
    run_case(tmp_path, query, {"input": rows}, {"output": [{"StartFault": at(2), "EndFault": at(7)}]})


def run_engine(query: str, rows: list[dict], seconds: list[int]) -> list[dict]:
    engine = Engine(compile_query(query))
    base = datetime(2026, 11, 29, 10, tzinfo=UTC)
    events = [InputEvent(row, base.replace(second=s), 0) for row, s in zip(rows, seconds, strict=True)]
    out = [r.payload for r in records(engine.process("i", events))]
    return out + [r.payload for r in records(engine.flush())]


def test_lag_offset_default_partition_and_duration() -> None:
    """ "LAG": `LAG(name, 2, 'none such') OVER (PARTITION BY userId LIMIT DURATION(minute, 2))`; an event
    older than the duration is not seen."""
    query = """
        SELECT name, LAG(name, 2, 'none such') OVER (PARTITION BY userId LIMIT DURATION(second, 10)) AS p
        INTO o FROM i
    """
    rows = [
        {"userId": 1, "name": "a"},
        {"userId": 2, "name": "x"},
        {"userId": 1, "name": "b"},
        {"userId": 1, "name": "c"},
        {"userId": 1, "name": "d"},
    ]
    result = run_engine(query, rows, [0, 1, 2, 3, 12])
    assert [r["p"] for r in result] == ["none such", "none such", "none such", "a", "none such"]


def test_last_includes_the_current_event_and_lag_state_survives_a_restart() -> None:
    """ "LAST": LAST(x) is LAG(x, 0): the most recent matching event, the current one included."""
    query = """
        SELECT reading, LAST(reading) OVER (LIMIT DURATION(hour, 1) WHEN reading IS NOT NULL) AS good
        INTO o FROM i
    """
    plan = compile_query(query)
    first = Engine(plan)
    base = datetime(2026, 11, 29, 10, tzinfo=UTC)
    out = records(first.process("i", [InputEvent({"reading": 5}, base, 0)]))
    second = Engine(plan)
    second.restore(first.snapshot())
    out += records(second.process("i", [InputEvent({"reading": None}, base.replace(second=1), 0)]))
    assert [r.payload for r in out] == [{"reading": 5, "good": 5}, {"reading": None, "good": 5}]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT LAG(x) AS p INTO o FROM i", "needs OVER"),
        ("SELECT LAG(x, 0) OVER (LIMIT DURATION(hour, 1)) AS p INTO o FROM i", "offset is an integer >= 1"),
        ("SELECT k, COUNT(*) AS c INTO o FROM i GROUP BY k, TumblingWindow(second, 1) HAVING "
         "LAG(k) OVER (LIMIT DURATION(hour, 1)) = k", "analytic functions"),
        ("SELECT Collect() OVER (ORDER BY t) AS p INTO o FROM i", r"Collect\(\) OVER is not supported"),
    ],
)  # fmt: skip
def test_analytic_functions_outside_the_supported_places_are_refused(query: str, message: str) -> None:
    with pytest.raises(Exception, match=message) as caught:
        compile_query(query)
    assert caught.value.line == 1


def test_aggregates_as_analytic_functions() -> None:
    """ "COUNT", "SUM", "AVG", "MIN", "MAX" (their "Analytic Function Syntax": `AGG(x) OVER ([PARTITION
    BY ...] LIMIT DURATION(...) [WHEN ...])`): per row, the aggregate of the partition's matching events
    within the duration, the current one included. The pages give no data; these rows are written for it:
    cars at 1, 2, 3, 5 and 12 s, a 3 s duration for SUM and AVG, 10 s for COUNT."""
    query = """
        SELECT Make,
            COUNT(*) OVER (PARTITION BY Make LIMIT DURATION(second, 10)) AS sameMake,
            SUM(Weight) OVER (LIMIT DURATION(second, 3)) AS recentWeight,
            AVG(Weight) OVER (LIMIT DURATION(second, 3) WHEN Make = 'a') AS recentA,
            MAX(Weight) OVER (PARTITION BY Make LIMIT DURATION(minute, 1)) AS heaviest,
            COUNT(Weight) OVER (LIMIT DURATION(second, 3)) AS weighed
        INTO o FROM i
    """
    cars = [("a", 1), ("b", 2), ("a", 3), ("a", None), ("b", 5)]
    rows = [{"Make": make, "Weight": weight} for make, weight in cars]
    result = run_engine(query, rows, [1, 2, 3, 5, 12])
    assert [
        (r["sameMake"], r["recentWeight"], r["recentA"], r["heaviest"], r["weighed"]) for r in result
    ] == [
        (1, 1, 1.0, 1, 1),
        (1, 3, 1.0, 2, 2),
        (2, 6, 2.0, 3, 3),
        (3, 3, 3.0, 3, 1),  # (2 s, 5 s]: 3 and a NULL weight
        (1, 5, None, 5, 1),  # b at 2 s is 10 s back: outside (2 s, 12 s]
    ]


def test_an_analytic_aggregate_keeps_its_events_across_a_restart() -> None:
    query = "SELECT SUM(v) OVER (LIMIT DURATION(minute, 1)) AS s INTO o FROM i"
    plan = compile_query(query)
    first = Engine(plan)
    base = datetime(2026, 11, 29, 10, tzinfo=UTC)
    out = records(first.process("i", [InputEvent({"v": 5}, base, 0)]))
    second = Engine(plan)
    second.restore(first.snapshot())
    out += records(second.process("i", [InputEvent({"v": 2}, base.replace(second=30), 0)]))
    assert [r.payload["s"] for r in out] == [5, 7]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT COUNT(DISTINCT x) OVER (LIMIT DURATION(hour, 1)) AS c INTO o FROM i", r"COUNT\(DISTINCT \.\.\.\) OVER"),
        ("SELECT SUM(x) OVER (PARTITION BY k) AS c INTO o FROM i", "LIMIT DURATION"),
        ("SELECT SUM(x, y) OVER (LIMIT DURATION(hour, 1)) AS c INTO o FROM i", "takes one argument"),
    ],
)  # fmt: skip
def test_malformed_analytic_aggregates_are_refused(query: str, message: str) -> None:
    with pytest.raises(Exception, match=message) as caught:
        compile_query(query)
    assert caught.value.line == 1
