"""The query-test tool names the file, key or line of bad input, and runs queries without functions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streaming.querytest import QueryTestError, run_tests
from streaming.querytest.tool_output import read_summary

QUERY = """SELECT id, v * 2 AS doubled INTO [out] FROM [in] TIMESTAMP BY t
SELECT COUNT(*) AS n, System.Timestamp() AS window_end INTO [counts] FROM [in] TIMESTAMP BY t
GROUP BY TumblingWindow(second, 10)
"""


def project(tmp_path: Path, inputs: str, expected: str, config: dict | None = None) -> Path:
    (tmp_path / "q.asaql").write_text(QUERY)
    (tmp_path / "JobConfig.json").write_text(
        json.dumps({"ScriptType": "JobConfig", "EventsLateArrivalMaxDelayInSeconds": 5})
    )
    (tmp_path / "asaproj.json").write_text(
        json.dumps(
            {
                "name": "p",
                "startFile": "q.asaql",
                "configurations": [{"filePath": "JobConfig.json", "subType": "JobConfig"}],
            }
        )
    )
    test = tmp_path / "test"
    test.mkdir()
    (test / "in.json").write_text(inputs)
    (test / "out.json").write_text(expected)
    config = config or {
        "Script": "../q.asaql",
        "TestCases": [
            {
                "Name": "Case 1",
                "Inputs": [
                    {
                        "InputAlias": "in",
                        "Type": "Data Stream",
                        "Format": "Json",
                        "FilePath": "in.json",
                        "ScriptType": "InputMock",
                    }
                ],
                "ExpectedOutputs": [{"OutputAlias": "out", "FilePath": "out.json", "Required": True}],
            }
        ],
    }
    (test / "testConfig.json").write_text(json.dumps(config))
    return tmp_path / "asaproj.json"


def test_query_without_functions_runs_with_no_endpoint_and_json_array_input(tmp_path: Path) -> None:
    inputs = json.dumps(
        [{"id": 1, "v": 2, "t": "2026-11-29T10:00:01Z"}, {"id": 2, "v": 3, "t": "2026-11-29T10:00:02Z"}]
    )
    path = project(tmp_path, inputs, '{"id": 2, "doubled": 6}\n{"id": 1, "doubled": 4}\n')
    run = run_tests(path, None, tmp_path / "result")
    case = read_summary(tmp_path / "result" / "testResultSummary.json").cases[0]
    assert run.passed and case.outputs["OutputMatched"] == ("out",)
    assert case.outputs["OutputUnexpected"] == ("counts",)  # produced, not listed: reported, not failed


def test_a_bad_input_line_is_named(tmp_path: Path) -> None:
    path = project(tmp_path, '{"id": 1, "v": 2, "t": "2026-11-29T10:00:01Z"}\n{"id": 2,\n', "")
    with pytest.raises(QueryTestError, match=r"in\.json, line 2: not a JSON object"):
        run_tests(path, None, tmp_path / "result")


def test_an_input_alias_the_query_does_not_read_is_named(tmp_path: Path) -> None:
    config = {
        "TestCases": [
            {"Name": "x", "Inputs": [{"InputAlias": "nope", "FilePath": "in.json"}], "ExpectedOutputs": []}
        ]
    }
    path = project(tmp_path, "", "", config)
    with pytest.raises(QueryTestError, match=r"TestCases\[0\]\.Inputs\[0\]: the query has no input 'nope'"):
        run_tests(path, None, tmp_path / "result")


def test_a_missing_test_cases_list_is_named(tmp_path: Path) -> None:
    path = project(tmp_path, "", "", {"Script": "q.asaql"})
    with pytest.raises(QueryTestError, match="missing list 'TestCases'"):
        run_tests(path, None, tmp_path / "result")


def test_an_unsupported_query_is_refused_with_its_position(tmp_path: Path) -> None:
    path = project(tmp_path, "", "")
    (tmp_path / "q.asaql").write_text("SELECT a.x INTO out FROM a\nRIGHT JOIN b ON a.k = b.k")
    with pytest.raises(
        QueryTestError, match=r"q\.asaql: parse error at line 2, column 1: JOIN is not supported"
    ):
        run_tests(path, None, tmp_path / "result")
