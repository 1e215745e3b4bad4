"""MATCH_RECOGNIZE, from the reference page "MATCH_RECOGNIZE (Azure Stream Analytics)" (MicrosoftDocs/
azure-reference-other stream-analytics-docs/match-recognize-stream-analytics.md: syntax, quantifiers,
DEFINE order, aggregate methods, Classifier(), limitations) and "Common query patterns in Azure Stream
Analytics" (MicrosoftDocs/azure-docs articles/stream-analytics/stream-analytics-stream-analytics-query-patterns.md,
"Advanced pattern matching with MATCH_RECOGNIZE": the ATM example, with its input and output tables).
The reference page gives queries without data: their inputs here are written for the queries, and the
expected rows follow the semantics in `streaming/engine/match_recognize/matcher.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streaming.engine import Engine, EventOrdering, InputEvent, ParseError, PlanError, compile_query, records
from streaming.engine.errors import QueryError
from streaming.engine.values import parse_datetime
from streaming.tests.test_documented_semantics import run_case

ATM_QUERY = """
SELECT *
FROM input TIMESTAMP BY time OVER ATM_id
MATCH_RECOGNIZE (
    LIMIT DURATION(minute, 1)
    PARTITION BY ATM_id
    MEASURES
        First(Warning.ATM_id) AS ATM_id,
        First(Warning.Operation_Id) AS First_Warning_Operation_id,
        First(Warning.Time) AS Warning_Time
    AFTER MATCH SKIP TO NEXT ROW
    PATTERN (Success+ Warning{2,})
    DEFINE
        Success AS Success.Return_Code = 'Success',
        Warning AS Warning.Return_Code <> 'Success'
) AS patternMatch
"""
ATM_INPUT = [
    {"ATM_id": 1, "Operation_id": "Entering Pin", "Return_Code": "Success", "Time": "2017-01-26T00:10:00.0000000Z"},
    {"ATM_id": 2, "Operation_id": "Opening Money Slot", "Return_Code": "Success", "Time": "2017-01-26T00:10:07.0000000Z"},
    {"ATM_id": 2, "Operation_id": "Closing Money Slot", "Return_Code": "Success", "Time": "2017-01-26T00:10:11.0000000Z"},
    {"ATM_id": 1, "Operation_id": "Entering Withdraw Quantity", "Return_Code": "Success", "Time": "2017-01-26T00:10:08.0000000Z"},
    {"ATM_id": 1, "Operation_id": "Opening Money Slot", "Return_Code": "Warning", "Time": "2017-01-26T00:10:14.0000000Z"},
    {"ATM_id": 1, "Operation_id": "Printing Bank Balance", "Return_Code": "Warning", "Time": "2017-01-26T00:10:19.0000000Z"},
]  # fmt: skip


def test_query_patterns_atm_two_consecutive_warnings(tmp_path: Path) -> None:
    """The article's example, through `python -m streaming test`: one row, though the tries from both of
    ATM 1's "Success" events complete on its second warning."""
    expected = {
        "ATM_id": 1,
        "First_Warning_Operation_id": "Opening Money Slot",
        "Warning_Time": "2017-01-26T00:10:14.0000000Z",
    }
    run_case(tmp_path, ATM_QUERY, {"input": ATM_INPUT}, {"output": [expected]})


def _at(seconds: float, minute: int = 0) -> str:
    whole = int(seconds)
    micros = round((seconds - whole) * 1_000_000)
    return f"2024-01-01T00:{minute:02d}:{whole:02d}.{micros:06d}0Z"


def run(
    query: str, batches: list[list[dict[str, Any]]], ordering: EventOrdering | None = None
) -> list[tuple[dict[str, Any], str]]:
    """Each batch in one `process` call (arrival = event time + 1 s unless a row says `arrive`), then
    flush; the output rows with their System.Timestamp()."""
    engine = Engine(compile_query(query, {}), ordering or EventOrdering(-1, 0, "Adjust"))
    out = []
    for batch in batches:
        events = [
            InputEvent(
                {k: v for k, v in row.items() if k != "arrive"},
                parse_datetime(row.get("arrive", row["t"])),
            )
            for row in batch
        ]
        out.extend(engine.process("input", events))
    out.extend(engine.flush())
    return [(r.payload, r.timestamp.isoformat()) for r in records(out)]


TOLL_QUERY = """
SELECT *
INTO output FROM input TIMESTAMP BY t
    MATCH_RECOGNIZE (
        LIMIT DURATION (minute, 1)
        PARTITION BY tollBoothId
        MEASURES
            Last(Toyota.LicensePlate) AS toyotaLicensePlate,
            Last(Lexus.LicensePlate) AS lexusLicensePlate,
            Classifier() AS patterns
        AFTER MATCH SKIP TO NEXT ROW
        PATTERN (Toyota+ Ford* Lexus+)
        DEFINE
            Toyota AS Toyota.make = 'Toyota',
            Ford AS Ford.make = 'Ford',
            Lexus AS Lexus.make = 'Lexus'
    ) AS T
"""


def car(second: float, booth: int, make: str, plate: str) -> dict[str, Any]:
    return {"t": _at(second), "tollBoothId": booth, "make": make, "LicensePlate": plate}


def test_explain_shows_the_pattern() -> None:
    explain = compile_query(TOLL_QUERY, {}).explain()
    assert (
        "MatchRecognize LIMIT DURATION(minute, 1) PARTITION BY tollBoothId PATTERN (Toyota+ Ford* Lexus+) "
        "MEASURES Last(Toyota.LicensePlate) AS toyotaLicensePlate" in explain
    )


def test_a_step_as_the_source() -> None:
    """MATCH_RECOGNIZE reads a step's rows (their times are the step's) as it reads an input's."""
    query = """
    WITH Kinds AS (SELECT UPPER(k) AS kind, id FROM input TIMESTAMP BY t)
    SELECT * FROM Kinds MATCH_RECOGNIZE (
        LIMIT DURATION (second, 30)
        MEASURES First(A.id) AS first_a, Last(B.id) AS last_b
        AFTER MATCH SKIP TO NEXT ROW
        PATTERN (A B)
        DEFINE A AS A.kind = 'A', B AS B.kind = 'B'
    ) AS M
    """
    assert run(query, [events("a b a")]) == [({"first_a": 1, "last_b": 2}, "2024-01-01T00:00:02+00:00")]


def test_reference_page_toll_example_matches_per_partition() -> None:
    """The page's first example: one match per booth; a Lexus at another booth does not complete booth
    1's Toyota; each further Lexus completes the pattern again (a row per completing event)."""
    rows = [
        car(1, 1, "Toyota", "T1"),
        car(2, 2, "Lexus", "X2"),  # booth 2 has no Toyota before it
        car(3, 2, "Toyota", "T2"),
        car(4, 1, "Ford", "F1"),
        car(5, 1, "Lexus", "X1"),
        car(6, 2, "Honda", "H2"),  # ends booth 2's try
        car(7, 2, "Lexus", "X3"),
        car(8, 1, "Lexus", "X4"),
    ]
    assert run(TOLL_QUERY, [rows]) == [
        (
            {"toyotaLicensePlate": "T1", "lexusLicensePlate": "X1", "patterns": ["Toyota", "Ford", "Lexus"]},
            "2024-01-01T00:00:05+00:00",
        ),
        (
            {
                "toyotaLicensePlate": "T1",
                "lexusLicensePlate": "X4",
                "patterns": ["Toyota", "Ford", "Lexus", "Lexus"],
            },
            "2024-01-01T00:00:08+00:00",
        ),
    ]


TANK_QUERY = """
SELECT *
INTO output FROM input TIMESTAMP BY t
MATCH_RECOGNIZE (
    LIMIT DURATION (minute, 3)
    MEASURES
        MAX(Dangerous.pressure) as pressure,
        Classifier() as patterns
    AFTER MATCH SKIP TO NEXT ROW
    PATTERN (Normal+ Dangerous+)
    DEFINE
        Normal AS Normal.isFilling = 1,
        Dangerous AS Max(Dangerous.pressure) > 2* Max(Normal.pressure)
) AS T
"""


def reading(second: float, pressure: int, minute: int = 0) -> dict[str, Any]:
    return {"t": _at(second, minute), "isFilling": 1, "pressure": pressure}


def test_reference_page_tank_example_aggregates_in_define() -> None:
    """The page's aggregate-methods example: Dangerous when its maximum exceeds twice Normal's maximum;
    a reading more than 3 minutes after the filling started no longer belongs to that try."""
    rows = [
        reading(0, 10),
        reading(30, 12),
        reading(40, 30),  # 30 > 2 * 12
        reading(50, 31),  # Dangerous+ goes on
        reading(
            35, 100, minute=3
        ),  # > 2 * 31, more than 3 minutes after the tries from 00:00:00 and 00:00:30
    ]
    result = run(TANK_QUERY, [rows])
    assert result[:2] == [
        ({"pressure": 30, "patterns": ["Normal", "Normal", "Dangerous"]}, "2024-01-01T00:00:40+00:00"),
        (
            {"pressure": 31, "patterns": ["Normal", "Normal", "Dangerous", "Dangerous"]},
            "2024-01-01T00:00:50+00:00",
        ),
    ]
    # at 00:03:35 the tries from 00:00:00 and 00:00:30 have expired; the one from 00:00:40 (Normal 30,
    # 31) goes on: 100 > 2 * 31
    assert result[2] == (
        {"pressure": 100, "patterns": ["Normal", "Normal", "Dangerous"]},
        "2024-01-01T00:03:35+00:00",
    )
    assert len(result) == 3


def pattern_query(pattern: str, duration: str = "minute, 1", measures: str = "") -> str:
    return f"""
    SELECT * FROM input TIMESTAMP BY t
    MATCH_RECOGNIZE (
        LIMIT DURATION ({duration})
        MEASURES First(A.id) AS first_a, Last(A.id) AS last_a, Classifier() AS c{measures}
        AFTER MATCH SKIP TO NEXT ROW
        PATTERN ({pattern})
        DEFINE A AS A.k = 'a', B AS B.k = 'b', C AS C.k = 'c'
    ) AS M
    """


def events(spec: str, step: float = 1) -> list[dict[str, Any]]:
    """'a a b' -> events k=a,a,b at 1 s, 2 s, 3 s with ids 1, 2, 3."""
    return [{"t": _at(step * (i + 1)), "k": k, "id": i + 1} for i, k in enumerate(spec.split())]


@pytest.mark.parametrize(
    ("pattern", "data", "expected"),
    [
        # the page's PATTERN (A+ (B | C)): a variable at least once, then either B or C
        ("A+ (B | C)", "a a c", [(1, 2, ["A", "A", "C"])]),
        # the page's PATTERN (A? B+): each B completes; the longest try wins
        ("A? B+", "b b", [(None, None, ["B"]), (None, None, ["B", "B"])]),
        ("A? B+", "a b", [(1, 1, ["A", "B"])]),
        # {n}: exactly n; the try from the first a fails on the third
        ("A{2} B", "a a a b", [(2, 3, ["A", "A", "B"])]),
        # {n,m}: of the tries from the second and the third a, the earlier one
        ("A{1,2} B", "a a a b", [(2, 3, ["A", "A", "B"])]),
        # `.`: any event; overlapping matches (SKIP TO NEXT ROW: the next try starts at S+1)
        ("A .", "a a x", [(1, 1, ["A", "."]), (2, 2, ["A", "."])]),
        # grouping with a quantifier
        ("(A B)+ C", "a b a b c", [(1, 3, ["A", "B", "A", "B", "C"])]),
        # an event no variable takes ends every try
        ("A B", "a x b", []),
    ],
)
def test_pattern_quantifiers(pattern: str, data: str, expected: list[tuple[Any, Any, list[str]]]) -> None:
    result = run(pattern_query(pattern), [events(data)])
    assert [(p["first_a"], p["last_a"], p["c"]) for p, _ in result] == expected


def test_limit_duration_bounds_a_match() -> None:
    """All events of a match lie within (last time - duration, last time]: 59.5 s apart match, 60 s
    apart do not (the page gives no boundary; the engine's LAG/LAST read LIMIT DURATION the same way)."""
    query = pattern_query("A B")
    inside = [{"t": _at(0), "k": "a", "id": 1}, {"t": _at(59.5), "k": "b", "id": 2}]
    assert [p["c"] for p, _ in run(query, [inside])] == [["A", "B"]]
    boundary = [{"t": _at(0), "k": "a", "id": 1}, {"t": _at(0, minute=1), "k": "b", "id": 2}]
    assert run(query, [boundary]) == []


def test_a_match_spanning_batches_and_a_restart() -> None:
    """The tries in progress are kept between `process` calls and in the engine's snapshot."""
    query = pattern_query("A+ B")
    first, second = events("a a b")[:2], events("a a b")[2:]
    assert run(query, [first, second]) == run(query, [first + second])
    plan = compile_query(query, {})
    engine = Engine(plan, EventOrdering(-1, 0, "Adjust"))
    engine.process("input", [InputEvent(r, parse_datetime(r["t"])) for r in first])
    assert engine.counters()["match_recognize"]["#1"]["tries"] > 0
    restarted = Engine(plan, EventOrdering(-1, 0, "Adjust"))
    restarted.restore(engine.snapshot())
    out = records(restarted.process("input", [InputEvent(r, parse_datetime(r["t"])) for r in second]))
    assert [(r.payload["first_a"], r.payload["last_a"], r.payload["c"]) for r in out] == [
        (1, 2, ["A", "A", "B"])
    ]


@pytest.mark.parametrize(("policy", "expected"), [("Adjust", [["A", "B"]]), ("Drop", [])])
def test_out_of_order_event_under_the_input_policy(policy: str, expected: list[list[str]]) -> None:
    """Tolerance 0 s: b at 00:00:05 arrives after a at 00:00:10. Adjust moves it to 00:00:10, after a,
    so `A B` matches at 00:00:10; Drop loses it."""
    rows = [
        {"t": _at(10), "k": "a", "id": 1, "arrive": _at(10)},
        {"t": _at(5), "k": "b", "id": 2, "arrive": _at(11)},
    ]
    result = run(pattern_query("A B"), [rows], EventOrdering(-1, 0, policy))  # type: ignore[arg-type]
    assert [p["c"] for p, _ in result] == expected
    assert [stamp for _, stamp in result] == ["2024-01-01T00:00:10+00:00"] * len(expected)


def test_no_partition_by_matches_across_all_events_and_a_later_step_filters() -> None:
    query = """
    WITH Matches AS (
        SELECT * FROM input TIMESTAMP BY t
        MATCH_RECOGNIZE (
            LIMIT DURATION (second, 10)
            MEASURES Min(A.v) AS low, Max(A.v) AS high, Last(B.v) AS last_b
            AFTER MATCH SKIP TO NEXT ROW
            PATTERN (A+ B)
            DEFINE A AS A.v < 10, B AS B.v >= Max(A.v) * 2
        ) AS M
    )
    SELECT low, high, last_b, System.Timestamp() AS at INTO output FROM Matches WHERE high > 3
    """
    rows = [{"t": _at(i + 1), "v": v} for i, v in enumerate([2, 4, 3, 8, 1, 5])]
    result = run(query, [rows])
    # every value is an A (< 10); 8 >= 2 * max(2, 4, 3) completes the tries from 2 and from 4 (the
    # earlier one is reported); 5 >= 2 * 1 completes only the try from 1, which the later step filters out
    assert result == [
        (
            {"low": 2, "high": 4, "last_b": 8, "at": "2024-01-01T00:00:04.0000000Z"},
            "2024-01-01T00:00:04+00:00",
        )
    ]


def recognize(body: str, select: str = "*", source: str = "input", after: str = "") -> str:
    return f"SELECT {select} FROM {source} MATCH_RECOGNIZE ({body}) AS T{after}"


CLAUSES = "LIMIT DURATION(minute, 1) MEASURES Last(A.x) AS x AFTER MATCH SKIP TO NEXT ROW"
# (id, query, stage, where the error points (the first occurrence of this text), message)
REFUSALS = [
    (
        "order by",
        recognize(f"ORDER BY t {CLAUSES} PATTERN (A) DEFINE A AS A.x > 1"),
        ParseError,
        "ORDER",
        "expected a MATCH_RECOGNIZE clause",
    ),
    (
        "two measures of one name",
        recognize(
            "LIMIT DURATION(minute, 1) MEASURES Last(A.x) AS x, First(A.x) AS X AFTER MATCH SKIP TO NEXT ROW PATTERN (A) DEFINE A AS A.x > 1"
        ),
        PlanError,
        "First(A.x)",
        "two measures are named X",
    ),
    (
        "all rows per match",
        recognize(f"{CLAUSES} ALL ROWS PER MATCH PATTERN (A) DEFINE A AS A.x > 1"),
        ParseError,
        "ALL",
        "expected a MATCH_RECOGNIZE clause",
    ),
    (
        "skip past last row",
        recognize(
            "LIMIT DURATION(minute, 1) MEASURES Last(A.x) AS x\nAFTER MATCH SKIP PAST LAST ROW PATTERN (A) DEFINE A AS A.x > 1"
        ),
        ParseError,
        "PAST",
        "the only skip clause available",
    ),
    (
        "no limit duration",
        recognize("MEASURES Last(A.x) AS x AFTER MATCH SKIP TO NEXT ROW PATTERN (A) DEFINE A AS A.x > 1"),
        ParseError,
        ") AS T",
        "needs LIMIT DURATION",
    ),
    (
        "no skip clause",
        recognize("LIMIT DURATION(minute, 1) MEASURES Last(A.x) AS x PATTERN (A) DEFINE A AS A.x > 1"),
        ParseError,
        ") AS T",
        "AFTER MATCH SKIP TO NEXT ROW",
    ),
    (
        "select columns",
        recognize(f"{CLAUSES} PATTERN (A) DEFINE A AS A.x > 1", select="T.x"),
        PlanError,
        "T.x",
        "selects *",
    ),
    (
        "expression in an aggregate",
        recognize(f"{CLAUSES} PATTERN (A) DEFINE A AS Max(A.value1 + A.value2) > 5"),
        PlanError,
        "Max(A.value1",
        "only field values",
    ),
    (
        "function in an aggregate",
        recognize(f"{CLAUSES} PATTERN (A) DEFINE A AS Max(ABS(A.value)) > 5"),
        PlanError,
        "Max(ABS",
        "only field values",
    ),
    (
        "define reads a later variable",
        recognize(
            f"{CLAUSES} PATTERN (A B) DEFINE A AS Last(A.value) + Last(B.Value) > 1, B AS Max(A.value) > 1"
        ),
        PlanError,
        "B.Value",
        "defined after A",
    ),
    (
        "undefined variable",
        recognize(f"{CLAUSES} PATTERN (A Z) DEFINE A AS A.x > 1"),
        PlanError,
        "Z)",
        "Z has no DEFINE",
    ),
    (
        "other aggregate",
        recognize(
            "LIMIT DURATION(minute, 1) MEASURES COUNT(A.x) AS n AFTER MATCH SKIP TO NEXT ROW PATTERN (A) DEFINE A AS A.x > 1"
        ),
        PlanError,
        "COUNT",
        "aggregate methods: Min, Max, First, Last",
    ),
    (
        "two partition columns",
        recognize(f"PARTITION BY a, b {CLAUSES} PATTERN (A) DEFINE A AS A.x > 1"),
        ParseError,
        ", b",
        "takes one column",
    ),
    (
        "empty repetition",
        recognize(f"{CLAUSES} PATTERN (A{{3,1}}) DEFINE A AS A.x > 1"),
        ParseError,
        "{3",
        "repeats nothing",
    ),
    (
        "where beside match_recognize",
        recognize(f"{CLAUSES} PATTERN (A) DEFINE A AS A.x > 1", after=" WHERE x = 1"),
        PlanError,
        "= 1",
        "use it in a later step",
    ),
    (
        "partition by is not the over key",
        recognize(
            f"PARTITION BY site {CLAUSES} PATTERN (A) DEFINE A AS A.x > 1",
            source="input TIMESTAMP BY t OVER dev",
        ),
        PlanError,
        "site",
        "must PARTITION BY the same key",
    ),
    (
        "classifier in define",
        recognize(f"{CLAUSES} PATTERN (A) DEFINE A AS Classifier() IS NULL"),
        PlanError,
        "Classifier",
        "only available in MEASURES",
    ),
    (
        "bare field of another variable",
        recognize(
            "LIMIT DURATION(minute, 1) MEASURES A.x AS x AFTER MATCH SKIP TO NEXT ROW PATTERN (A) DEFINE A AS A.x > 1"
        ),
        PlanError,
        "A.x AS",
        "with an aggregate method",
    ),
    (
        "quantifier without an item",
        recognize(f"{CLAUSES} PATTERN (+A) DEFINE A AS A.x > 1"),
        ParseError,
        "+A",
        "expected a pattern variable",
    ),
]


@pytest.mark.parametrize(
    ("query", "error", "at", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals_name_line_and_column(query: str, error: type[QueryError], at: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(query, {})
    before = query[: query.index(at)]
    position = (before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)
    assert type(caught.value) is error, str(caught.value)
    assert (caught.value.line, caught.value.column) == position, str(caught.value)
    assert message in str(caught.value)
