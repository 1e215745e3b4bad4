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


def test_javascript_aggregates_are_refused_where_the_project_is_read(tmp_path: Path) -> None:
    project = write_query_project(tmp_path / "p", "SELECT * INTO output FROM input", {"input": []}, {})
    add_javascript_function(project, "myAvg", "function main() { return {}; }", kind="Aggregate")
    with pytest.raises(
        QueryTestError, match=r"JavaScript user-defined aggregates \(Type Aggregate\) are not supported"
    ):
        load_project(project)
