"""Golden cases of the stream-to-stream JOIN, from the reference page "JOIN" (MicrosoftDocs/
azure-reference-other stream-analytics-docs/join-azure-stream-analytics.md: the toll-booth entry/exit
queries, LEFT OUTER JOIN for the absence of events, the special DATEDIFF) and "Common query patterns in
Azure Stream Analytics" (MicrosoftDocs/azure-docs articles/stream-analytics/
stream-analytics-stream-analytics-query-patterns.md: "Find the last event in a window", with its input
and output tables). The JOIN page gives queries but no data: its inputs are written for the queries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from streaming.engine import Engine, EventOrdering, InputEvent, PlanError, compile_query, records
from streaming.engine.values import parse_datetime
from streaming.tests.test_documented_analytics import TOLL
from streaming.tests.test_documented_semantics import run_case

ENTRY_EXIT = """
    SELECT I1.TollId, I1.EntryTime, I2.ExitTime, I1.LicensePlate,
        DATEDIFF(minute, I1.EntryTime, I2.ExitTime) AS DurationInMinutes
    FROM Input1 I1 TIMESTAMP BY EntryTime
    JOIN Input2 I2 TIMESTAMP BY ExitTime
    ON I1.TollId = I2.TollId AND I1.LicensePlate = I2.LicensePlate
    AND DATEDIFF(minute, I1, I2) BETWEEN 0 AND 15
"""
ENTRIES = [
    {"TollId": 1, "LicensePlate": "JNB 7001", "EntryTime": "2014-09-10T12:01:00.0000000Z"},
    {"TollId": 1, "LicensePlate": "YXZ 1001", "EntryTime": "2014-09-10T12:02:00.0000000Z"},
    {"TollId": 2, "LicensePlate": "ABC 1004", "EntryTime": "2014-09-10T12:03:00.0000000Z"},
    {"TollId": 2, "LicensePlate": "XYZ 1003", "EntryTime": "2014-09-10T12:04:00.0000000Z"},
]
EXITS = [  # in time order: a file's rows arrive in file order (an earlier time later would be adjusted)
    {"TollId": 1, "LicensePlate": "JNB 7001", "ExitTime": "2014-09-10T12:03:00.0000000Z"},
    # same plate, other booth: no match
    {"TollId": 1, "LicensePlate": "XYZ 1003", "ExitTime": "2014-09-10T12:05:00.0000000Z"},
    # exactly 15 minutes: inside (BETWEEN is inclusive)
    {"TollId": 2, "LicensePlate": "ABC 1004", "ExitTime": "2014-09-10T12:18:00.0000000Z"},
    # 20 minutes after its entry: outside the 15-minute bound
    {"TollId": 1, "LicensePlate": "YXZ 1001", "ExitTime": "2014-09-10T12:22:00.0000000Z"},
]


def test_join_entry_and_exit_within_15_minutes(tmp_path: Path) -> None:
    """ "JOIN": a match only when ExitTime is 0 to 15 minutes after EntryTime, on the same booth and plate."""
    expected = [
        {
            "TollId": 1,
            "EntryTime": ENTRIES[0]["EntryTime"],
            "ExitTime": EXITS[0]["ExitTime"],
            "LicensePlate": "JNB 7001",
            "DurationInMinutes": 2,
        },
        {
            "TollId": 2,
            "EntryTime": ENTRIES[2]["EntryTime"],
            "ExitTime": EXITS[2]["ExitTime"],
            "LicensePlate": "ABC 1004",
            "DurationInMinutes": 15,
        },
    ]
    run_case(tmp_path, ENTRY_EXIT, {"Input1": ENTRIES, "Input2": EXITS}, {"output": expected})


def test_left_join_finds_the_absence_of_events(tmp_path: Path) -> None:
    """ "JOIN": vehicles that entered but did not exit within 15 minutes (LEFT OUTER JOIN, WHERE the right
    side IS NULL); the unmatched row comes out at its entry time plus the upper bound."""
    query = """
        SELECT I1.TollId, I1.EntryTime, I2.ExitTime, I1.LicensePlate, System.Timestamp() AS t
        FROM Input1 I1 TIMESTAMP BY EntryTime
        LEFT OUTER JOIN Input2 I2 TIMESTAMP BY ExitTime
        ON I1.TollId = I2.TollId
        AND I1.LicensePlate = I2.LicensePlate
        AND DATEDIFF(minute, I1, I2) BETWEEN 0 AND 15
        WHERE I2.TollId IS NULL
    """
    expected = [
        {
            "TollId": 1,
            "EntryTime": ENTRIES[1]["EntryTime"],
            "ExitTime": None,
            "LicensePlate": "YXZ 1001",
            "t": "2014-09-10T12:17:00.0000000Z",
        },
        {
            "TollId": 2,
            "EntryTime": ENTRIES[3]["EntryTime"],
            "ExitTime": None,
            "LicensePlate": "XYZ 1003",
            "t": "2014-09-10T12:19:00.0000000Z",
        },
    ]
    run_case(tmp_path, query, {"Input1": ENTRIES, "Input2": EXITS}, {"output": expected})


def test_join_output_time_is_the_later_event(tmp_path: Path) -> None:
    """ "Understand time handling": a joined row's System.Timestamp() is the later of the two events."""
    query = """
        SELECT I1.LicensePlate, System.Timestamp() AS t
        FROM Input1 I1 TIMESTAMP BY EntryTime JOIN Input2 I2 TIMESTAMP BY ExitTime
        ON I1.LicensePlate = I2.LicensePlate AND DATEDIFF(minute, I1, I2) BETWEEN 0 AND 15
    """
    expected = [
        {"LicensePlate": "JNB 7001", "t": "2014-09-10T12:03:00.0000000Z"},
        {"LicensePlate": "XYZ 1003", "t": "2014-09-10T12:05:00.0000000Z"},  # any booth here
        {"LicensePlate": "ABC 1004", "t": "2014-09-10T12:18:00.0000000Z"},
    ]
    run_case(tmp_path, query, {"Input1": ENTRIES, "Input2": EXITS}, {"output": expected})


def test_query_pattern_last_event_in_a_window(tmp_path: Path) -> None:
    """Query patterns: "Find the last event in a window" (a JOIN of the input with a step), with the
    article's own input and output."""
    query = """
        WITH LastInWindow AS
        (
            SELECT MAX(Time) AS LastEventTime
            FROM Input TIMESTAMP BY Time
            GROUP BY TumblingWindow(minute, 10)
        )
        SELECT Input.LicensePlate, Input.Make, Input.Time
        FROM Input TIMESTAMP BY Time
        INNER JOIN LastInWindow
        ON DATEDIFF(minute, Input, LastInWindow) BETWEEN 0 AND 10
        AND Input.Time = LastInWindow.LastEventTime
    """
    run_case(tmp_path, query, {"Input": TOLL}, {"output": [TOLL[4], TOLL[6]]})


def test_joined_rows_feed_a_window_that_closes_by_both_watermarks(tmp_path: Path) -> None:
    query = """
        SELECT I1.TollId, COUNT(*) AS exits
        FROM Input1 I1 TIMESTAMP BY EntryTime JOIN Input2 I2 TIMESTAMP BY ExitTime
        ON I1.LicensePlate = I2.LicensePlate AND DATEDIFF(minute, I1, I2) BETWEEN 0 AND 15
        GROUP BY I1.TollId, TumblingWindow(hour, 1)
    """
    expected = [{"TollId": 1, "exits": 1}, {"TollId": 2, "exits": 2}]
    run_case(tmp_path, query, {"Input1": ENTRIES, "Input2": EXITS}, {"output": expected})


def _events(rows: list[dict[str, object]], field: str) -> list[InputEvent]:
    return [InputEvent(row, parse_datetime(row[field])) for row in rows]


def test_matches_wait_for_both_watermarks_whatever_order_the_inputs_come_in() -> None:
    """A match found early is not emitted before the other input's watermark passes it, so the rows
    come out in time order and the same whichever input is read first."""
    plan = compile_query(ENTRY_EXIT)
    results = []
    for first, second in (("Input1", "Input2"), ("Input2", "Input1")):
        engine = Engine(plan, EventOrdering(late_arrival_max_delay_s=5))
        data = {"Input1": _events(ENTRIES, "EntryTime"), "Input2": _events(EXITS, "ExitTime")}
        emitted = records(engine.process(first, data[first]))
        emitted += records(engine.process(second, data[second]))
        emitted += records(engine.flush())
        results.append([(r.payload["LicensePlate"], r.timestamp_us) for r in emitted])
        assert [stamp for _, stamp in results[-1]] == sorted(stamp for _, stamp in results[-1])
    assert (
        results[0]
        == results[1]
        == [
            ("JNB 7001", int(parse_datetime(EXITS[0]["ExitTime"]).timestamp() * 1_000_000)),
            ("ABC 1004", int(parse_datetime(EXITS[2]["ExitTime"]).timestamp() * 1_000_000)),
        ]
    )


def test_a_left_join_miss_waits_until_no_right_event_can_match() -> None:
    query = """
        SELECT I1.LicensePlate, I2.ExitTime
        FROM Input1 I1 TIMESTAMP BY EntryTime LEFT JOIN Input2 I2 TIMESTAMP BY ExitTime
        ON I1.LicensePlate = I2.LicensePlate AND DATEDIFF(minute, I1, I2) BETWEEN 0 AND 15
    """
    engine = Engine(compile_query(query), EventOrdering(late_arrival_max_delay_s=0))
    assert records(engine.process("Input1", _events(ENTRIES[:1], "EntryTime"))) == []
    # the exit input moves to 12:10: a matching exit may still come until 12:16
    early_exit = [{"LicensePlate": "OTHER", "ExitTime": "2014-09-10T12:10:00.0000000Z"}]
    assert records(engine.process("Input2", _events(early_exit, "ExitTime"))) == []
    later = [{"LicensePlate": "OTHER", "EntryTime": "2014-09-10T12:30:00.0000000Z"}]
    assert records(engine.process("Input1", _events(later, "EntryTime"))) == []
    late_exit = [{"LicensePlate": "OTHER", "ExitTime": "2014-09-10T12:31:00.0000000Z"}]
    released = records(engine.process("Input2", _events(late_exit, "ExitTime")))
    assert [r.payload for r in released] == [{"LicensePlate": "JNB 7001", "ExitTime": None}]
    assert released[0].timestamp == parse_datetime("2014-09-10T12:16:00Z")


def test_join_state_survives_a_snapshot() -> None:
    plan = compile_query(ENTRY_EXIT)
    engine = Engine(plan)
    engine.process("Input1", _events(ENTRIES, "EntryTime"))
    saved = engine.snapshot()
    restored = Engine(plan)
    restored.restore(saved)
    emitted = records(restored.process("Input2", _events(EXITS, "ExitTime"))) + records(restored.flush())
    plates = [r.payload["LicensePlate"] for r in emitted]
    assert plates == ["JNB 7001", "ABC 1004"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # no time bound at all: the JOIN page's "not legitimate" example
        (
            "SELECT a.x INTO o FROM a TIMESTAMP BY t JOIN b TIMESTAMP BY t ON a.x = b.x",
            "needs a time bound on both sides",
        ),
        ("SELECT a.x INTO o FROM a JOIN b ON a.x = b.x AND DATEDIFF(minute, a, b) < 10", "both sides"),
        ("SELECT a.x INTO o FROM a JOIN b ON DATEDIFF(day, a, b) BETWEEN 0 AND 8", "seven days"),
        ("SELECT a.x INTO o FROM a JOIN b ON DATEDIFF(month, a, b) BETWEEN 0 AND 1", "fixed-length unit"),
        ("SELECT * INTO o FROM a JOIN b ON DATEDIFF(minute, a, b) BETWEEN 0 AND 1", "SELECT \\*"),
        (
            "SELECT a.x INTO o FROM a JOIN b ON DATEDIFF(minute, a, b) BETWEEN 0 AND 1 OR a.x = b.x",
            "joined by AND",
        ),
    ],
)
def test_stream_joins_without_a_usable_time_bound_are_refused(query: str, message: str) -> None:
    with pytest.raises(PlanError, match=message) as caught:
        compile_query(query)
    assert caught.value.line == 1 and caught.value.column > 1


def test_a_join_with_a_step_needs_a_time_bound() -> None:
    query = "WITH s AS (SELECT x FROM a)\nSELECT a.x INTO o FROM a JOIN s ON a.x = s.x"
    with pytest.raises(PlanError, match="time bound") as caught:
        compile_query(query)
    assert (caught.value.line, caught.value.column) == (2, 40)  # where ON's condition starts


def test_a_qualified_star_selects_only_its_own_side() -> None:
    """`a.*` beside a JOIN spreads a's event alone (the joined side's columns come only when named);
    the same holds for a reference JOIN (`test_documented_joins.test_published_vs_code_reference_project`)."""
    query = "SELECT a.*, b.w INTO o FROM a JOIN b ON a.k = b.k AND DATEDIFF(second, a, b) BETWEEN 0 AND 5"
    engine = Engine(compile_query(query))
    base = datetime(2026, 11, 29, 10, tzinfo=UTC)
    out = records(engine.process("a", [InputEvent({"k": 1, "v": 1}, base)]))
    out += records(engine.process("b", [InputEvent({"k": 1, "w": 2, "extra": 3}, base.replace(second=2))]))
    out += records(engine.flush())
    assert [r.payload for r in out] == [{"k": 1, "v": 1, "w": 2}]
