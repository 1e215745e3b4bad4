"""Golden cases of the built-in functions and predicates, each an example of the documentation it cites,
with its input and output as the article gives them, run through `python -m streaming test`'s runner.

Articles: "Common query patterns in Azure Stream Analytics" (MicrosoftDocs/azure-docs
articles/stream-analytics/stream-analytics-stream-analytics-query-patterns.md) and the query language
reference pages (MicrosoftDocs/azure-reference-other stream-analytics-docs/*.md) named per test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from streaming.engine import Engine, ExecutionError, InputEvent, compile_query
from streaming.engine.dates import dateadd, datediff, datepart
from streaming.engine.errors import QueryError
from streaming.tests.test_documented_semantics import run_case


def at(second: int, minute: int = 0, day: str = "2015-01-01") -> str:
    return f"{day}T00:{minute:02d}:{second:02d}.0000000Z"


PLATES = [
    {"Make": "Honda", "LicensePlate": "ABC-123", "Time": at(1)},
    {"Make": "Toyota", "LicensePlate": "AAA-999", "Time": at(2)},
    {"Make": "Nissan", "LicensePlate": "ABC-369", "Time": at(3)},
]


def test_like_query_pattern(tmp_path: Path) -> None:
    """Query patterns: "Use LIKE/NOT LIKE to do pattern matching"."""
    query = "SELECT * FROM Input TIMESTAMP BY Time WHERE LicensePlate LIKE 'A%9'"
    run_case(tmp_path, query, {"Input": PLATES}, {"output": PLATES[1:]})


def test_not_like_and_character_classes(tmp_path: Path) -> None:
    query = "SELECT LicensePlate FROM Input WHERE LicensePlate NOT LIKE 'A%9' AND Make LIKE '[HN]_nda'"
    run_case(tmp_path, query, {"Input": PLATES}, {"output": [{"LicensePlate": "ABC-123"}]})


def test_case_query_pattern(tmp_path: Path) -> None:
    """Query patterns: "Specify logic for different cases/values (CASE statements)"."""
    query = """
        SELECT
            CASE
                WHEN COUNT(*) = 1 THEN CONCAT('1 ', Make)
                ELSE CONCAT(CAST(COUNT(*) AS NVARCHAR(MAX)), ' ', Make, 's')
            END AS CarsPassed,
            System.TimeStamp() AS AsaTime
        FROM Input TIMESTAMP BY Time
        GROUP BY Make, TumblingWindow(second, 10)
    """
    rows = [
        {"Make": "Honda", "Time": at(1)},
        {"Make": "Toyota", "Time": at(2)},
        {"Make": "Toyota", "Time": at(3)},
    ]
    expected = [
        {"CarsPassed": "1 Honda", "AsaTime": at(10)},
        {"CarsPassed": "2 Toyotas", "AsaTime": at(10)},
    ]
    run_case(tmp_path, query, {"Input": rows}, {"output": expected})


CARS = [
    {"Make": "Honda", "Time": at(1)},
    {"Make": "Honda", "Time": at(2)},
    {"Make": "Toyota", "Time": at(1)},
    {"Make": "Toyota", "Time": at(2)},
    {"Make": "Toyota", "Time": at(3)},
]


def test_multiple_outputs_and_having_on_a_select_alias(tmp_path: Path) -> None:
    """Query patterns: "Send data to multiple outputs" (`HAVING [Count] >= 3` names a SELECT alias)."""
    query = """
        SELECT * INTO ArchiveOutput FROM Input TIMESTAMP BY Time

        SELECT Make, System.TimeStamp() AS AsaTime, COUNT(*) AS [Count]
        INTO AlertOutput
        FROM Input TIMESTAMP BY Time
        GROUP BY Make, TumblingWindow(second, 10)
        HAVING [Count] >= 3
    """
    expected = {"ArchiveOutput": CARS, "AlertOutput": [{"Make": "Toyota", "AsaTime": at(10), "Count": 3}]}
    run_case(tmp_path, query, {"Input": CARS}, expected)


def test_count_distinct_query_pattern(tmp_path: Path) -> None:
    """Query patterns: "Count unique values" (two-second windows: Honda and Toyota, then Toyota)."""
    query = """
        SELECT COUNT(DISTINCT Make) AS CountMake, System.TIMESTAMP() AS AsaTIME
        FROM Input TIMESTAMP BY TIME
        GROUP BY TumblingWindow(second, 2)
    """
    expected = [{"CountMake": 2, "AsaTIME": at(2)}, {"CountMake": 1, "AsaTIME": at(4)}]
    run_case(tmp_path, query, {"Input": CARS}, {"output": expected})


def test_datediff_and_dateadd_reference_examples(tmp_path: Path) -> None:
    """ "DATEDIFF" page: `DATEDIFF(minute, EntryTime, DATEADD(hour, 2, EntryTime))` and the difference to a
    CAST literal; "DATEADD" page: `DATEADD(hour, 2, EntryTime) AS AdjustedTime`."""
    query = """
        SELECT TollId,
               DATEDIFF(minute, EntryTime, DATEADD(hour, 2, EntryTime)) AS DiffTime,
               DATEDIFF(minute, EntryTime, CAST('2014-09-10 12:00:00' AS datetime)) AS ToNoon,
               DATEADD(hour, 2, EntryTime) AS AdjustedTime
        FROM Input TIMESTAMP BY EntryTime
        WHERE Toll > 5
    """
    rows = [
        {"TollId": 1, "EntryTime": "2014-09-10T11:15:00.0000000Z", "Toll": 6},
        {"TollId": 2, "EntryTime": "2014-09-10T11:20:00.0000000Z", "Toll": 4},
    ]
    expected = [{"TollId": 1, "DiffTime": 120, "ToNoon": 45, "AdjustedTime": "2014-09-10T13:15:00.0000000Z"}]
    run_case(tmp_path, query, {"Input": rows}, {"output": expected})


@pytest.mark.parametrize(
    ("part", "start", "end", "count"),
    [
        ("year", "2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z", 1),  # boundaries crossed, not elapsed time
        ("yy", "2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z", 0),
        ("quarter", "2026-03-31T00:00:00Z", "2026-04-01T00:00:00Z", 1),
        ("month", "2026-01-31T00:00:00Z", "2026-03-01T00:00:00Z", 2),
        ("day", "2026-11-29T23:59:00Z", "2026-11-30T00:01:00Z", 1),
        ("week", "2026-11-28T12:00:00Z", "2026-11-29T12:00:00Z", 1),  # Saturday -> Sunday
        ("week", "2026-11-29T12:00:00Z", "2026-12-05T12:00:00Z", 0),  # Sunday -> Saturday
        ("hh", "2026-11-29T10:59:59Z", "2026-11-29T11:00:00Z", 1),
        ("mi", "2026-11-29T10:00:30Z", "2026-11-29T10:00:59Z", 0),
        ("second", "2026-11-29T10:00:10Z", "2026-11-29T10:00:00Z", -10),
        ("ms", "2026-11-29T10:00:00.0004Z", "2026-11-29T10:00:00.0016Z", 1),
    ],
)
def test_datediff_counts_datepart_boundaries(part: str, start: str, end: str, count: int) -> None:
    assert datediff(part, start, end) == count


def test_dateadd_truncates_the_number_and_keeps_the_day_in_the_month() -> None:
    assert dateadd("month", 1.9, "2026-01-31T10:00:00Z").isoformat() == "2026-02-28T10:00:00+00:00"
    assert dateadd("mi", -90, "2026-11-29T10:00:00Z").isoformat() == "2026-11-29T08:30:00+00:00"
    assert datepart("weekday", "2026-11-29T00:00:00Z") == 1  # a Sunday
    assert datepart("dayofyear", "2026-02-01T00:00:00Z") == 32


def test_string_and_math_functions(tmp_path: Path) -> None:
    """ "CHARINDEX" page (`CHARINDEX('us', Model)`, 1-based, 0 when absent) and the other "String
    Functions" and "Mathematical Functions" pages."""
    query = """
        SELECT CHARINDEX('us', Model) AS at, SUBSTRING(Model, 2, 3) AS middle, REPLACE(Model, 'o', '0') AS r,
               TRIM('  x ') AS t, LEFT(Model, 2) AS l, RIGHT(Model, 2) AS rt, UPPER(Model) AS u,
               CEILING(Toll) AS c, FLOOR(Toll) AS f, POWER(Toll, 2) AS p, SQRT(16) AS s, SIGN(-Toll) AS sg,
               SQUARE(3) AS sq, ABS(-2) AS a, ROUND(Toll, 1) AS rd, YEAR(EntryTime) AS y,
               DATEPART(hour, EntryTime) AS h
        FROM Input
    """
    rows = [{"Model": "Lotus", "Toll": 4.25, "EntryTime": "2014-09-10T11:15:00Z"}]
    expected = {
        "at": 4, "middle": "otu", "r": "L0tus", "t": "x", "l": "Lo", "rt": "us", "u": "LOTUS",
        "c": 5.0, "f": 4.0, "p": 18.0625, "s": 4.0, "sg": -1.0, "sq": 9.0, "a": 2, "rd": 4.2, "y": 2014, "h": 11,
    }  # fmt: skip
    run_case(tmp_path, query, {"Input": rows}, {"output": [expected]})


def test_try_cast_reference_example(tmp_path: Path) -> None:
    """ "TRY_CAST" page: a value that cannot be converted gives NULL and the row is kept."""
    query = "SELECT id, TRY_CAST(reading AS bigint) AS reading INTO out FROM Input"
    rows = [{"id": 1, "reading": "12"}, {"id": 2, "reading": "twelve"}]
    run_case(
        tmp_path, query, {"Input": rows}, {"out": [{"id": 1, "reading": 12}, {"id": 2, "reading": None}]}
    )


def test_a_string_function_on_a_number_fails_with_its_position() -> None:
    plan = compile_query("SELECT SUBSTRING(x, 1, 2) AS s INTO o FROM i")
    engine = Engine(plan)
    with pytest.raises(ExecutionError, match=r"SUBSTRING.*line 1"):
        engine.process("i", [InputEvent({"x": 5}, datetime(2026, 11, 29, tzinfo=UTC), 0)])


# -- The article's later revision (MicrosoftDocs/azure-docs, "Common query patterns", 12/18/2019 and
# after): its pass-through, projection, conversion, CASE-lane and WITH-reader examples, with the makes
# renamed Make1..Make4 and `System.TimeStamp() AS Time` as the article spells them.
MAKES = [
    {"Make": "Make1", "Time": at(1), "Weight": 1000},
    {"Make": "Make1", "Time": at(2), "Weight": 2000},
    {"Make": "Make2", "Time": at(4), "Weight": 1500},
]


def test_simple_pass_through_and_projection(tmp_path: Path) -> None:
    """Query patterns: "Simple pass-through query" (`SELECT *` keeps the text weights as text, then
    `SELECT Make, Time`)."""
    texts = [{**row, "Weight": str(row["Weight"])} for row in MAKES[:2]]
    run_case(tmp_path, "SELECT * INTO Output FROM Input", {"Input": texts}, {"Output": texts})
    projected = [{"Make": row["Make"], "Time": row["Time"]} for row in MAKES]
    run_case(
        tmp_path / "2", "SELECT Make, Time INTO Output FROM Input", {"Input": MAKES}, {"Output": projected}
    )


def test_data_aggregation_over_time_with_an_unbracketed_count_alias(tmp_path: Path) -> None:
    """Query patterns: "Data aggregation over time" (`COUNT(*) AS Count`, not bracketed)."""
    query = """
        SELECT Make, COUNT(*) AS Count
        FROM Input TIMESTAMP BY Time
        GROUP BY Make, TumblingWindow(second, 10)
    """
    expected = [{"Make": "Make1", "Count": 2}, {"Make": "Make2", "Count": 1}]
    run_case(tmp_path, query, {"Input": MAKES}, {"output": expected})


def test_data_conversion_sums_text_weights_cast_to_bigint(tmp_path: Path) -> None:
    """Query patterns: "Data conversion" / "Convert data types" (weights "1000" and "2000" -> 3000)."""
    query = """
        SELECT Make, SUM(CAST(Weight AS BIGINT)) AS Weight
        FROM Input TIMESTAMP BY Time
        GROUP BY Make, TumblingWindow(second, 10)
    """
    texts = [{**row, "Weight": str(row["Weight"])} for row in MAKES[:2]]
    run_case(tmp_path, query, {"Input": texts}, {"output": [{"Make": "Make1", "Weight": 3000}]})


def test_case_assigns_a_lane_per_make(tmp_path: Path) -> None:
    """Query patterns (later revision): "Specify logic for different cases/values": lane 'A' for Make1,
    'B' for the others. The article's output lists two of its three rows and its query lacks the comma
    after `Make` and quotes the texts with `"`; the query here has the comma and `'`, and the expected
    rows are all three (one per event: the query has no filter)."""
    query = """
        SELECT Make, CASE WHEN Make = 'Make1' THEN 'A' ELSE 'B' END AS Dispatch_to_lane,
            System.TimeStamp() AS Time
        FROM Input TIMESTAMP BY Time
    """
    rows = [
        {"Make": "Make1", "Time": at(1)},
        {"Make": "Make2", "Time": at(2)},
        {"Make": "Make2", "Time": at(3)},
    ]
    expected = [
        {"Make": "Make1", "Dispatch_to_lane": "A", "Time": at(1)},
        {"Make": "Make2", "Dispatch_to_lane": "B", "Time": at(2)},
        {"Make": "Make2", "Dispatch_to_lane": "B", "Time": at(3)},
    ]
    run_case(tmp_path, query, {"Input": rows}, {"output": expected})


def test_multiple_outputs_read_through_one_with_step(tmp_path: Path) -> None:
    """Query patterns: "Send data to multiple outputs", the WITH form ("opening fewer readers")."""
    query = """
        WITH ReaderQuery AS (SELECT * FROM Input TIMESTAMP BY Time)

        SELECT * INTO ArchiveOutput FROM ReaderQuery

        SELECT Make, System.TimeStamp() AS Time, COUNT(*) AS [Count]
        INTO AlertOutput
        FROM ReaderQuery
        GROUP BY Make, TumblingWindow(second, 10)
        HAVING [Count] >= 3
    """
    expected = {"ArchiveOutput": CARS, "AlertOutput": [{"Make": "Toyota", "Time": at(10), "Count": 3}]}
    run_case(tmp_path, query, {"Input": CARS}, expected)


def test_one_with_step_feeds_two_filtered_outputs(tmp_path: Path) -> None:
    """Query patterns (2019 revision): `WITH AllRedCars AS (...)` then a HondaOutput and a ToyotaOutput.
    The article gives no data; these rows are written for it."""
    query = """
        WITH AllRedCars AS (SELECT * FROM Input TIMESTAMP BY Time WHERE Color = 'red')
        SELECT * INTO HondaOutput FROM AllRedCars WHERE Make = 'Honda'
        SELECT * INTO ToyotaOutput FROM AllRedCars WHERE Make = 'Toyota'
    """
    rows = [
        {"Make": "Honda", "Color": "red", "Time": at(1)},
        {"Make": "Toyota", "Color": "red", "Time": at(2)},
        {"Make": "Honda", "Color": "blue", "Time": at(3)},
    ]
    run_case(tmp_path, query, {"Input": rows}, {"HondaOutput": rows[:1], "ToyotaOutput": rows[1:2]})


# -- "Aggregate Functions" (query language reference): the statistical and collecting aggregates.
AVAILABILITY = [
    {"Regions": region, "ServiceAvailability": value, "t": f"2026-11-29T10:0{minute + 1}:00Z"}
    for minute, (region, value) in enumerate(zip("ABCDE", [0.98, 0.93, 0.78, 0.99, 0.89], strict=True))
]


def test_percentile_cont_and_disc_reference_examples(tmp_path: Path) -> None:
    """ "Percentile_Cont": the 95th percentile of 0.98, 0.93, 0.78, 0.99, 0.89 is 0.988 (interpolated);
    "Percentile_Disc": 0.99 (a member of the set). The pages group by `SlidingWindow(hours, 1)`; one
    tumbling hour holds the five rows here, so the one output row is the pages' answer."""
    query = """
        SELECT PERCENTILE_CONT(0.95) OVER (ORDER BY serviceAvailability) AS cont,
            PERCENTILE_DISC(0.95) OVER (ORDER BY serviceAvailability) AS disc
        FROM testInput TIMESTAMP BY t
        GROUP BY TumblingWindow(hour, 1)
    """
    run_case(tmp_path, query, {"testInput": AVAILABILITY}, {"output": [{"cont": 0.988, "disc": 0.99}]})


def test_stdev_var_and_collect(tmp_path: Path) -> None:
    """ "STDEV", "STDEVP", "VAR", "VARP" (float; sample and population forms) and "Collect" (the window's
    values, or its events as records with `Collect()`). The pages give queries but no data: values 2, 4,
    4, 4, 5, 5, 7, 9 (population variance 4, sample variance 32/7)."""
    values = [2, 4, 4, 4, 5, 5, 7, 9]
    rows = [{"v": v, "t": f"2026-11-29T10:00:0{i}Z"} for i, v in enumerate(values, start=1)]
    query = """
        SELECT STDEV(v) AS sd, STDEVP(v) AS sdp, VAR(v) AS var, VARP(v) AS varp, Collect(v) AS vs,
            Collect() AS events
        FROM input TIMESTAMP BY t
        GROUP BY TumblingWindow(minute, 1)
    """
    expected = {
        "sd": (32 / 7) ** 0.5, "sdp": 2.0, "var": 32 / 7, "varp": 4.0, "vs": values, "events": rows,
    }  # fmt: skip
    run_case(tmp_path, query, {"input": rows}, {"output": [expected]})


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT PERCENTILE_CONT(95) OVER (ORDER BY v) AS p INTO o FROM i GROUP BY TumblingWindow(second, 1)",
         r"needs a number from 0 to 1"),
        ("SELECT PERCENTILE_DISC(0.5) OVER (ORDER BY v, w) AS p INTO o FROM i GROUP BY TumblingWindow(second, 1)",
         r"needs OVER \(ORDER BY one expression\)"),
        ("SELECT PERCENTILE_CONT(0.5) AS p INTO o FROM i GROUP BY TumblingWindow(second, 1)", r"needs OVER"),
        ("SELECT STDEV(v) AS p INTO o FROM i", r"needs GROUP BY with a window"),
    ],
)  # fmt: skip
def test_malformed_statistical_aggregates_are_refused_at_their_position(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as caught:
        compile_query(query)
    assert caught.value.line == 1


def test_a_percentile_of_text_fails_the_step() -> None:
    engine = Engine(compile_query(
        "SELECT PERCENTILE_CONT(0.5) OVER (ORDER BY v) AS p INTO o FROM i GROUP BY TumblingWindow(second, 1)"
    ))  # fmt: skip
    arrival = datetime(2026, 11, 29, 10, tzinfo=UTC)
    with pytest.raises(ExecutionError, match="PERCENTILE_CONT needs bigint or float values"):
        engine.process("i", [InputEvent({"v": "high"}, arrival)])


# -- "String Functions" pages (MicrosoftDocs/azure-reference-other stream-analytics-docs/
# <name>-azure-stream-analytics.md): each page's example and its result.
def test_concat_ws_reference_example(tmp_path: Path) -> None:
    """ "CONCAT_WS": NULLs are skipped with their separator. (The page's table header swaps zipCode and
    stateCode; the values here follow its query and result.)"""
    row = {"address1": "1 Microsoft Way", "address2": None, "city": "Redmond", "stateCode": "WA",
           "zipCode": "98052", "country": None}  # fmt: skip
    query = """
        SELECT CONCAT_WS(', ',address1, address2, city, stateCode, zipCode, country) AS fullAddress
        FROM Input
    """
    run_case(
        tmp_path,
        query,
        {"Input": [row]},
        {"output": [{"fullAddress": "1 Microsoft Way, Redmond, WA, 98052"}]},
    )


def test_space_stuff_translate_nchar_unicode_regexmatch_reference_examples(tmp_path: Path) -> None:
    """ "SPACE" (with `+` joining text, as its example does), "STUFF" ('abcdef', 2, 3, 'ijklmn' ->
    'aijklmnef'), "TRANSLATE" ('2*[3+4]/{7-2}' -> '2*(3+4)/(7-2)'), "NCHAR"/"UNICODE" (33590 is 茶),
    "REGEXMATCH" (the position of three digits in a plate; its example has no output: 5 here)."""
    query = """
        SELECT RTRIM('LastName ') + ',' + SPACE(1) + LTRIM(' FirstName') as FullName,
            STUFF('abcdef', 2, 3, 'ijklmn') AS Stuffed,
            x, TRANSLATE(x, '[]{}', '()()') AS translatedX,
            NCHAR(33590) AS UnicodeTea_Decimal, NCHAR(UNICODE('茶')) AS UnicodeTea_Char, UNICODE('茶') AS UnicodeTea,
            REGEXMATCH(LicensePlate, '[0-9][0-9][0-9]') AS digits, REGEXMATCH(LicensePlate, 'abc') AS caseless,
            REGEXMATCH(LicensePlate, '[') AS invalid
        FROM Input
    """
    row = {"x": "2*[3+4]/{7-2}", "LicensePlate": "ABC 123"}
    expected = {
        "FullName": "LastName, FirstName", "Stuffed": "aijklmnef", "x": row["x"], "translatedX": "2*(3+4)/(7-2)",
        "UnicodeTea_Decimal": "茶", "UnicodeTea_Char": "茶", "UnicodeTea": 33590,
        "digits": 5, "caseless": 1, "invalid": 0,
    }  # fmt: skip
    run_case(tmp_path, query, {"Input": [row]}, {"output": [expected]})


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("SPACE(-1)", None),  # "If integer_expression is negative, a null string is returned"
        ("NCHAR(1114112)", None),  # outside 0..0x10FFFF
        ("STUFF('abc', 0, 1, 'x')", "xbc"),  # "If start is less than 1, ... begin at the first character"
        ("STUFF('abc', 4, 1, 'x')", ""),  # start past the end: "a zero-length expression"
        ("STUFF('abc', 2, 9, 'x')", "ax"),  # start + length past the end: every character deleted
        ("CONCAT_WS('-', NULL, NULL)", ""),  # all NULL: "an empty string"
        ("TRANSLATE('abc', NULL, 'x')", None),
        ("DATENAME(month, '2026-11-29T10:00:00Z')", "November"),
        ("DATENAME(dw, '2026-11-29T10:00:00Z')", "Sunday"),
        ("DATENAME(yyyy, '2026-11-29T10:00:00Z')", "2026"),
    ],
)
def test_string_function_edges_from_their_pages(call: str, expected: object) -> None:
    engine = Engine(compile_query(f"SELECT {call} AS v INTO o FROM i"))
    out = engine.process("i", [InputEvent({}, datetime(2026, 11, 29, 10, tzinfo=UTC))])
    assert [row for batch in out for row in batch.payloads] == [{"v": expected}]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("STUFF('abc', 1, -1, 'x')", "STUFF\\(\\) length must not be negative"),
        ("TRANSLATE('abc', 'ab', 'x')", "TRANSLATE\\(\\) needs characters and translations of one length"),
    ],
)
def test_string_function_errors_fail_the_step(call: str, message: str) -> None:
    """ "STUFF": "If length is negative, an error is generated"; "TRANSLATE will return an error if
    characters and translations expressions have different lengths"."""
    engine = Engine(compile_query(f"SELECT {call} AS v INTO o FROM i"))
    with pytest.raises(ExecutionError, match=message):
        engine.process("i", [InputEvent({}, datetime(2026, 11, 29, 10, tzinfo=UTC))])


def test_having_reference_example_and_having_without_group_by(tmp_path: Path) -> None:
    """ "HAVING": its example (`HAVING COUNT(*) > 2` over 3-minute windows per toll, the unnamed COUNT(*)
    output as `count`), and "When GROUP BY is not used, HAVING behaves like a WHERE clause" (here with a
    SELECT alias, as HAVING may name one with GROUP BY). The page gives no data."""
    query = """
        SELECT TollId, System.Timestamp() AS WinEndTime, COUNT(*)
        INTO busy FROM TollTagEntry TIMESTAMP BY EntryTime
        GROUP BY TumblingWindow( minute , 3 ) , TollId
        HAVING COUNT(*) > 2

        SELECT TollId, Toll * 2 AS doubled INTO dear FROM TollTagEntry TIMESTAMP BY EntryTime
        WHERE TollId = 1 HAVING doubled > 10
    """
    tolls = [(1, "10:00:10", 4), (1, "10:01:00", 6), (1, "10:02:00", 7), (2, "10:02:30", 9)]
    rows = [{"TollId": toll, "EntryTime": f"2026-11-29T{clock}Z", "Toll": fee} for toll, clock, fee in tolls]
    expected = {
        "busy": [{"TollId": 1, "WinEndTime": "2026-11-29T10:03:00.0000000Z", "count": 3}],
        "dear": [{"TollId": 1, "doubled": 12}, {"TollId": 1, "doubled": 14}],
    }
    run_case(tmp_path, query, {"TollTagEntry": rows}, expected)


def test_gettype_reference_example(tmp_path: Path) -> None:
    """ "GetType": `WHERE GetType(EntryTime) = 'datetime'`. JSON text stays nvarchar(max) (compatibility
    level 1.2), so only the row whose EntryTime is CAST passes; the names are the "Data Types" page's."""
    query = """
        WITH Typed AS (
            SELECT TollId, CASE WHEN TollId = 1 THEN CAST(EntryTime AS datetime) ELSE EntryTime END AS EntryTime
            FROM Input
        )
        SELECT TollId, EntryTime INTO datetimes FROM Typed WHERE GetType( EntryTime ) = 'datetime'
        SELECT GetType(TollId) AS b, GetType(1.5) AS f, GetType(Name) AS s, GetType(Flag) AS t,
            GetType(Rec) AS r, GetType(Arr) AS a, GetType(Missing) AS n
        INTO types FROM Input WHERE TollId = 2
    """
    rows = [
        {"TollId": 1, "EntryTime": "2026-11-29T10:00:00Z"},
        {
            "TollId": 2,
            "EntryTime": "2026-11-29T10:00:01Z",
            "Name": "x",
            "Flag": True,
            "Rec": {"a": 1},
            "Arr": [1],
        },
    ]
    expected = {
        "datetimes": [{"TollId": 1, "EntryTime": "2026-11-29T10:00:00.0000000Z"}],
        "types": [
            {
                "b": "bigint",
                "f": "float",
                "s": "nvarchar(max)",
                "t": "bit",
                "r": "record",
                "a": "array",
                "n": None,
            }
        ],
    }
    run_case(tmp_path, query, {"Input": rows}, expected)


def test_collect_top_reference_example(tmp_path: Path) -> None:
    """ "CollectTop": `CollectTop(2) OVER (ORDER BY value2 ASC, value3 DESC)` per value1 over 5-second
    windows: records `{"rank", "value"}`, NULL lowest ("Null is treated as the minimal value"). The
    page's data is an image; these rows are written for its query."""
    query = """
        SELECT value1, CollectTop(2) OVER (ORDER BY value2 ASC, value3 DESC) as top1
        FROM testinput timestamp by time
        GROUP BY TumblingWindow(second, 5), value1
    """
    data = [("a", 2, 1), ("a", 1, 5), ("a", 1, 9), ("a", None, 0), ("b", 3, 3)]
    rows = [
        {"time": f"2026-11-29T10:00:0{i}Z", "value1": v1, "value2": v2, "value3": v3}
        for i, (v1, v2, v3) in enumerate(data, start=1)
    ]
    expected = [
        {"value1": "a", "top1": [{"rank": 1, "value": rows[3]}, {"rank": 2, "value": rows[2]}]},
        {"value1": "b", "top1": [{"rank": 1, "value": rows[4]}]},
    ]
    run_case(tmp_path, query, {"testinput": rows}, {"output": expected})


def test_collecting_aggregates_survive_a_snapshot() -> None:
    """An open window's CollectTop, percentile and STDEV accumulators are in the engine's snapshot."""
    query = """
        SELECT CollectTop(1) OVER (ORDER BY v DESC) AS top, PERCENTILE_DISC(0.5) OVER (ORDER BY v) AS median,
            STDEVP(v) AS spread
        INTO o FROM i GROUP BY TumblingWindow(minute, 1)
    """
    plan = compile_query(query)
    base = datetime(2026, 11, 29, 10, tzinfo=UTC)
    first = Engine(plan)
    first.process(
        "i", [InputEvent({"v": 1}, base.replace(second=1)), InputEvent({"v": 5}, base.replace(second=2))]
    )
    second = Engine(plan)
    second.restore(first.snapshot())
    second.process("i", [InputEvent({"v": 3}, base.replace(second=3))])
    rows = [row for batch in second.flush() for row in batch.payloads]
    assert rows == [{"top": [{"rank": 1, "value": {"v": 5}}], "median": 3, "spread": (8 / 3) ** 0.5}]
