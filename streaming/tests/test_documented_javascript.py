"""JavaScript user-defined functions, from "JavaScript user-defined functions in Azure Stream Analytics"
(MicrosoftDocs/azure-docs articles/stream-analytics/stream-analytics-javascript-user-defined-functions.md:
the `hex2Int` and `JSON.stringify` examples, the type conversion tables, "JavaScript runtime errors are
considered fatal"), run through the project layout of the VS Code extension (`Functions/<name>.js` and
`<name>.js.json`, subType JSFunction) and one `node` process per query. Node.js is a prerequisite."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streaming.engine import (
    Engine,
    ExecutionError,
    InputEvent,
    JavaScriptFunction,
    PlanError,
    compile_query,
    records,
)
from streaming.querytest import QueryTestError, load_project, run_tests
from streaming.testing import add_javascript_function, write_query_project

NOW = datetime(2026, 11, 29, 10, tzinfo=UTC)
HEX2INT = (
    "// Convert Hex value to integer.\nfunction hex2Int(hexValue) {\n    return parseInt(hexValue, 16);\n}\n"
)


def run(query: str, functions: dict[str, JavaScriptFunction], rows: list[dict[str, object]]) -> list[dict]:
    engine = Engine(compile_query(query, functions))
    try:
        events = [InputEvent(row, NOW) for row in rows]
        return [r.payload for r in records(engine.process("input", events)) + records(engine.flush())]
    finally:
        engine.close()


def test_hex2int_example_runs_from_the_projects_functions_folder(tmp_path: Path) -> None:
    """The page's tutorial: `UDF.hex2Int(offset)`, the function kept as Functions/hex2Int.js."""
    query = "SELECT time, UDF.hex2Int(offset) AS IntOffset INTO output FROM InputStream"
    rows = [{"time": "a", "offset": "ff"}, {"time": "b", "offset": "1A"}]
    expected = [{"time": "a", "IntOffset": 255}, {"time": "b", "IntOffset": 26}]
    project = write_query_project(tmp_path / "project", query, {"InputStream": rows}, {"output": expected})
    add_javascript_function(project, "hex2Int", HEX2INT, output_type="bigint")
    result = run_tests(project, output_dir=tmp_path / "out")
    assert result.passed, json.dumps(result.summary())[:2000]


def test_json_stringify_example_packs_the_whole_event() -> None:
    """The page's "Write nested JSON to output": `UDF.json_stringify(input)` with `function main(x)`."""
    stringify = JavaScriptFunction("json_stringify", "function main(x) {\nreturn JSON.stringify(x);\n}")
    rows = [{"DataString": "s", "DataValue": 1.5, "HexValue": "0f"}]
    out = run(
        "SELECT DataString, UDF.json_stringify(input) AS InputEvent FROM input",
        {"json_stringify": stringify},
        rows,
    )
    assert out == [{"DataString": "s", "InputEvent": json.dumps(rows[0], separators=(",", ":"))}]


def test_type_conversion_both_ways() -> None:
    """The page's two conversion tables: bigint/float -> Number, datetime -> Date, record -> Object,
    array -> Array, NULL -> null; back, a round Number is bigint (else float), Date -> datetime, null and
    undefined -> NULL."""
    describe = JavaScriptFunction(
        "describe",
        """function (n, f, d, r, a, z) {
            return {
                n: n + 1, f: f * 2, half: n / 2, year: d.getUTCFullYear(), later: new Date(d.getTime() + 1500),
                keys: Object.keys(r).join(","), length: a.length, isNull: z === null, nothing: undefined,
                big: Math.pow(2, 64)
            };
        }""",
        inputs=6,
    )
    query = "SELECT udf.describe(n, f, System.Timestamp(), r, a, z) AS d FROM input"  # System.Timestamp(): a datetime
    out = run(
        query, {"describe": describe}, [{"n": 3, "f": 0.25, "r": {"k": 1, "j": 2}, "a": [1, 2, 3], "z": None}]
    )
    assert out == [
        {
            "d": {
                "n": 4,
                "f": 0.5,
                "half": 1.5,
                "year": 2026,
                "later": "2026-11-29T10:00:01.5000000Z",
                "keys": "k,j",
                "length": 3,
                "isNull": True,
                "nothing": None,
                "big": float(2**64),
            }
        }
    ]
    assert isinstance(out[0]["d"]["n"], int) and isinstance(out[0]["d"]["big"], float)


def test_functions_work_in_where_and_all_calls_share_one_batched_process() -> None:
    functions = {"hex2Int": JavaScriptFunction("hex2Int", HEX2INT)}
    plan = compile_query("SELECT offset FROM input WHERE udf.hex2Int(offset) > 100", functions)
    engine = Engine(plan)
    try:
        batch = [InputEvent({"offset": hex(i)[2:]}, NOW) for i in range(250)]
        out = records(engine.process("input", batch)) + records(engine.process("input", batch))
        assert len(out) == 2 * 149
        assert plan.javascript is not None and plan.javascript.requests == 2  # one per batch, not per row
    finally:
        engine.close()


def test_a_javascript_error_names_the_function_and_the_row() -> None:
    """ "JavaScript runtime errors are considered fatal": the step fails, naming the function and row."""
    fails = JavaScriptFunction(
        "check", "function (x) { if (x > 1) throw new RangeError('too big: ' + x); return x; }"
    )
    with pytest.raises(
        ExecutionError,
        match=r"udf\.check \(line 1, column 8\) failed on row 2 .*\[5\].*RangeError: too big: 5",
    ):
        run("SELECT udf.check(v) AS c FROM input", {"check": fails}, [{"v": 0}, {"v": 1}, {"v": 5}])


def test_a_result_of_an_unsupported_type_is_a_runtime_error() -> None:
    """The page: "Any other type (for example, a function or error) ... results in runtime error"."""
    returns_function = JavaScriptFunction("f", "function (x) { return function () {}; }")
    with pytest.raises(ExecutionError, match=r"udf\.f .*row 0.*the result is a function"):
        run("SELECT udf.f(v) AS c FROM input", {"f": returns_function}, [{"v": 0}])


def test_the_declared_output_type_is_applied() -> None:
    text = JavaScriptFunction("t", "function (x) { return 'x' + x; }", output_type="bigint")
    with pytest.raises(ExecutionError, match=r"udf\.t .*row 0.*OutputType is bigint"):
        run("SELECT udf.t(v) AS c FROM input", {"t": text}, [{"v": 1}])


def test_argument_count_follows_function_inputs() -> None:
    one = JavaScriptFunction("one", "function (x) { return x; }", inputs=1)
    with pytest.raises(PlanError, match="takes 1 argument") as caught:
        compile_query("SELECT udf.one(a, b) AS c FROM input", {"one": one})
    assert (caught.value.line, caught.value.column) == (1, 8)


def test_a_file_that_is_not_one_function_is_refused_naming_it(tmp_path: Path) -> None:
    broken = JavaScriptFunction("broken", "var x = 1;", origin="Functions/broken.js")
    with pytest.raises(ExecutionError, match=r"broken \(Functions/broken.js\) cannot be loaded"):
        run("SELECT udf.broken(v) AS c FROM input", {"broken": broken}, [{"v": 1}])


TWA = """// Sample UDA which calculate Time-Weighted Average of incoming values.
function main() {
    this.init = function () {
        this.totalValue = 0.0;
        this.totalWeight = 0.0;
    }

    this.accumulate = function (value, timestamp) {
        this.totalValue += value.level * value.weight;
        this.totalWeight += value.weight;
    }

    this.computeResult = function () {
        if (this.totalValue == 0) {
            result = 0;
        }
        else {
            result = this.totalValue / this.totalWeight;
        }
        return result;
    }
}
"""
NOISE = [  # the first ten events of the page's test file
    ("2017-06-10T05:01:00-07:00", 80, 22.0),
    ("2017-06-10T05:02:00-07:00", 81, 37.8),
    ("2017-06-10T05:02:00-07:00", 85, 26.3),
    ("2017-06-10T05:03:00-07:00", 95, 13.7),
    ("2017-06-10T05:03:00-07:00", 88, 10.3),
    ("2017-06-10T05:05:00-07:00", 103, 5.5),
    ("2017-06-10T05:06:00-07:00", 99, 23.0),
    ("2017-06-10T05:07:00-07:00", 108, 1.76),
    ("2017-06-10T05:07:00-07:00", 79, 17.9),
    ("2017-06-10T05:08:00-07:00", 83, 27.1),
]


def test_time_weighted_average_aggregate_from_the_uda_page(tmp_path: Path) -> None:
    """ "JavaScript user-defined aggregates in Azure Stream Analytics": the TWA aggregate (AccumulateOnly)
    called as `uda.TWA(value)` over 5-minute tumbling windows, on the page's test events."""
    query = """
        WITH value AS
        (
            SELECT NoiseLevelDB as level, DurationSecond as weight
            FROM [YourInputAlias] TIMESTAMP BY EntryTime
        )
        SELECT System.Timestamp() as ts, uda.TWA(value) as NoseDoseTWA
        FROM value
        GROUP BY TumblingWindow(minute, 5)
    """
    rows = [{"EntryTime": t, "NoiseLevelDB": level, "DurationSecond": weight} for t, level, weight in NOISE]

    def twa(events: list[tuple[str, int, float]]) -> float:
        return sum(level * weight for _, level, weight in events) / sum(weight for _, _, weight in events)

    expected = [  # windows (12:00, 12:05] and (12:05, 12:10] UTC; 05:05-07:00 is 12:05Z, in the first
        {"ts": "2017-06-10T12:05:00.0000000Z", "NoseDoseTWA": twa(NOISE[:6])},
        {"ts": "2017-06-10T12:10:00.0000000Z", "NoseDoseTWA": twa(NOISE[6:])},
    ]
    project = write_query_project(tmp_path / "project", query, {"YourInputAlias": rows}, {"output": expected})
    add_javascript_function(project, "TWA", TWA, output_type="any", kind="Aggregate")
    result = run_tests(project, output_dir=tmp_path / "out")
    assert result.passed, json.dumps(result.summary())[:2000]


def test_an_aggregate_sees_its_window_events_in_time_order_and_survives_a_snapshot() -> None:
    collect = JavaScriptFunction(
        "collect",
        """function main() {
            this.init = function () { this.seen = []; };
            this.accumulate = function (value, timestamp) { this.seen.push(value + "@" + timestamp.getUTCSeconds()); };
            this.computeResult = function () { return this.seen.join(","); };
        }""",
        aggregate=True,
    )
    query = "SELECT uda.collect(v) AS seen, COUNT(*) AS n FROM input TIMESTAMP BY t GROUP BY TumblingWindow(minute, 1)"
    plan = compile_query(query, {"collect": collect})
    engine = Engine(plan)
    events = [InputEvent({"v": v, "t": f"2026-11-29T10:00:{s:02d}Z"}, NOW) for v, s in (("a", 5), ("b", 7))]
    engine.process("input", events)
    restored = Engine(plan)
    restored.restore(engine.snapshot())
    late = [InputEvent({"v": "c", "t": "2026-11-29T10:00:09Z"}, NOW)]
    out = records(restored.process("input", late)) + records(restored.flush())
    assert [r.payload for r in out] == [{"seen": "a@5,b@7,c@9", "n": 3}]
    restored.close()
    engine.close()


def test_aggregates_and_scalar_functions_are_called_with_their_own_prefix() -> None:
    functions = {
        "collect": JavaScriptFunction("collect", "function main() {}", aggregate=True),
        "f": JavaScriptFunction("f", "function (x) { return x; }"),
    }
    with pytest.raises(PlanError, match=r"call it as uda\.collect"):
        compile_query("SELECT udf.collect(v) AS c FROM input", functions)
    with pytest.raises(PlanError, match=r"unknown JavaScript aggregate uda\.f"):
        compile_query("SELECT uda.f(v) AS c FROM input GROUP BY TumblingWindow(minute, 1)", functions)
    with pytest.raises(PlanError, match=r"needs GROUP BY with a window"):
        compile_query("SELECT uda.collect(v) AS c FROM input", functions)


def test_aggregate_configurations_are_read_from_the_project(tmp_path: Path) -> None:
    project = write_query_project(tmp_path / "p", "SELECT * INTO output FROM input", {"input": []}, {})
    add_javascript_function(project, "myAvg", "function main() {}", kind="Aggregate")
    loaded = load_project(project).functions["myAvg"]
    assert isinstance(loaded, JavaScriptFunction) and loaded.aggregate


def test_an_unknown_function_type_is_refused_naming_the_file(tmp_path: Path) -> None:
    project = write_query_project(tmp_path / "p", "SELECT * INTO output FROM input", {"input": []}, {})
    add_javascript_function(project, "odd", "function main() {}", kind="Table")
    with pytest.raises(QueryTestError, match=r"odd\.js\.json: Type must be Scalar or Aggregate, not 'Table'"):
        load_project(project)
