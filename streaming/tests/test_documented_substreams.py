"""`TIMESTAMP BY ... OVER` (substreams), from "Common query patterns in Azure Stream Analytics"
(MicrosoftDocs/azure-docs articles/stream-analytics/stream-analytics-stream-analytics-query-patterns.md:
"Process events independent of Device Clock Skew (substreams)", its input in arrival order and its output)
and the reference page "TIMESTAMP BY" (MicrosoftDocs/azure-reference-other: "OVER clause interacts with
event ordering": out-of-order tolerance per OVER key, late arrival global, output per key as computed;
its limitations)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from streaming.engine import Engine, EventOrdering, InputEvent, ParseError, PlanError, compile_query, records
from streaming.tests.test_documented_semantics import run_case

TOLLS = [  # the article's input, in its (arrival) order: TollID 2's clock is 5 s behind, TollID 3's 10 s
    ("DXE 5291", "Honda", "2015-07-27T00:00:01.0000000Z", 1),
    ("YHN 6970", "Toyota", "2015-07-27T00:00:05.0000000Z", 1),
    ("QYF 9358", "Honda", "2015-07-27T00:00:01.0000000Z", 2),
    ("GXF 9462", "BMW", "2015-07-27T00:00:04.0000000Z", 2),
    ("VFE 1616", "Toyota", "2015-07-27T00:00:10.0000000Z", 1),
    ("RMV 8282", "Honda", "2015-07-27T00:00:03.0000000Z", 3),
    ("MDR 6128", "BMW", "2015-07-27T00:00:11.0000000Z", 2),
    ("YZK 5704", "Ford", "2015-07-27T00:00:07.0000000Z", 3),
]
ROWS = [{"LicensePlate": p, "Make": m, "Time": t, "TollID": k} for p, m, t, k in TOLLS]
QUERY = """
    SELECT TollId, COUNT(*) AS Count, System.Timestamp() AS WindowEnd
    FROM input TIMESTAMP BY Time OVER TollId
    GROUP BY TUMBLINGWINDOW(second, 5), TollId
"""


def window(second: int) -> str:
    return f"2015-07-27T00:00:{second:02d}.0000000Z"


def test_query_pattern_substreams(tmp_path: Path) -> None:
    """The article's output (TollID, Count): 1 2, 2 2, 1 1, 3 1, 2 1, 3 1, with each toll's own windows:
    toll 3's event at 00:00:03 counts in its (0, 5] window although other tolls' clocks passed 00:00:10."""
    expected = [
        {"TollId": 1, "Count": 2, "WindowEnd": window(5)},
        {"TollId": 2, "Count": 2, "WindowEnd": window(5)},
        {"TollId": 1, "Count": 1, "WindowEnd": window(10)},
        {"TollId": 3, "Count": 1, "WindowEnd": window(5)},
        {"TollId": 2, "Count": 1, "WindowEnd": window(15)},
        {"TollId": 3, "Count": 1, "WindowEnd": window(10)},
    ]
    # the rows carry their arrival (Event Hubs enqueue) time: one second apart, in the article's order
    rows = [{**row, "EventEnqueuedUtcTime": window(20 + i)} for i, row in enumerate(ROWS)]
    run_case(
        tmp_path,
        QUERY,
        {"input": rows},
        {"output": expected},
        job_config={"EventsLateArrivalMaxDelayInSeconds": 60},
    )


def test_without_over_the_same_events_share_one_timeline(tmp_path: Path) -> None:
    """The contrast the article draws: on one timeline toll 3's events are out of order and adjusted
    (Adjust, tolerance 0), so they land in later windows."""
    query = QUERY.replace(" OVER TollId", "")
    expected = [
        {"TollId": 1, "Count": 2, "WindowEnd": window(5)},
        {"TollId": 2, "Count": 2, "WindowEnd": window(5)},
        {"TollId": 1, "Count": 1, "WindowEnd": window(10)},
        {"TollId": 3, "Count": 1, "WindowEnd": window(10)},
        {"TollId": 2, "Count": 1, "WindowEnd": window(15)},
        {"TollId": 3, "Count": 1, "WindowEnd": window(15)},
    ]
    rows = [{**row, "EventEnqueuedUtcTime": window(20 + i)} for i, row in enumerate(ROWS)]
    run_case(
        tmp_path,
        query,
        {"input": rows},
        {"output": expected},
        job_config={"EventsLateArrivalMaxDelayInSeconds": 60},
    )


def test_each_substream_closes_its_windows_by_its_own_watermark() -> None:
    """Output "for each event producer ... as they are computed": toll 1's window closes on toll 1's
    events alone, while toll 2 still waits for its own (named input partitions do not hold keys back)."""
    engine = Engine(
        compile_query(QUERY), EventOrdering(late_arrival_max_delay_s=-1), partitions={"input": range(4)}
    )
    arrival = datetime(2015, 7, 27, 0, 1, tzinfo=UTC)

    def send(toll: int, second: int) -> list[tuple[int, int]]:
        event = InputEvent({"TollID": toll, "Time": window(second)}, arrival)
        return [(r.payload["TollId"], r.payload["Count"]) for r in records(engine.process("input", [event]))]

    assert send(1, 1) == []
    assert send(2, 2) == []
    assert send(1, 7) == [(1, 1)]  # toll 1 passed 00:00:05; toll 2 has not
    assert send(2, 3) == []  # in toll 2's own (0, 5] window, not late
    assert send(2, 6) == [(2, 2)]
    snapshot = engine.snapshot()
    restored = Engine(compile_query(QUERY), EventOrdering(late_arrival_max_delay_s=-1))
    restored.restore(snapshot)
    flushed = sorted((r.payload["TollId"], r.payload["Count"]) for r in records(restored.flush()))
    assert flushed == [(1, 1), (2, 1)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "SELECT COUNT(*) AS n FROM input TIMESTAMP BY Time OVER TollId GROUP BY TumblingWindow(second, 5)",
            "GROUP BY must include the TIMESTAMP BY ... OVER keys",
        ),
        (
            "SELECT a.x INTO o FROM a TIMESTAMP BY t OVER k\nSELECT b.x INTO p FROM b TIMESTAMP BY t",
            "for all inputs of the query or for none",
        ),
        (
            "SELECT i.x FROM input i TIMESTAMP BY t OVER k JOIN ref r ON i.x = r.x",
            "JOIN is not supported on an input with TIMESTAMP BY ... OVER",
        ),
        (
            "SELECT k, COUNT(*) AS n FROM input TIMESTAMP BY t OVER k GROUP BY k, SlidingWindow(second, 5)",
            "sliding and session windows over TIMESTAMP BY ... OVER",
        ),
        (
            "SELECT k FROM input TIMESTAMP BY t OVER k WHERE ISFIRST(second, 5) = 1",
            "LAG, LAST and ISFIRST over TIMESTAMP BY ... OVER",
        ),
    ],
)
def test_documented_limitations_are_refused(query: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        compile_query(query)


def test_over_on_a_joined_input_is_refused() -> None:
    query = "SELECT a.x FROM a TIMESTAMP BY t OVER k JOIN b TIMESTAMP BY t OVER k ON DATEDIFF(second, a, b) BETWEEN 0 AND 5"
    with pytest.raises((ParseError, PlanError), match="OVER"):
        compile_query(query)
