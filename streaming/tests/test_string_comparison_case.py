"""String comparisons are ordinal (case-sensitive), and `python -m streaming test` says so, once per place
in the query, whenever the test inputs compare differently ignoring case (docs/decisions/0021).

The documentation does not state the rule; its one hint is the query-patterns article "Detect the
duration between events" (MicrosoftDocs/azure-docs articles/stream-analytics/
stream-analytics-stream-analytics-query-patterns.md): `WHEN Event = 'start'` over data `Start`, expected
to find the start event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streaming.cli.test import EXIT_FAILED, main
from streaming.querytest import run_tests
from streaming.querytest.runner import TestRun
from streaming.testing import write_query_project

DURATION_QUERY = """SELECT
    [user],
    feature,
    DATEDIFF(
        second,
        LAST(Time) OVER (PARTITION BY [user], feature LIMIT DURATION(hour, 1) WHEN Event = 'start'),
        Time) as duration
FROM input TIMESTAMP BY Time
WHERE
    Event = 'end'
"""
CLICKS = [
    {
        "user": "user@location.com",
        "feature": "RightMenu",
        "Event": "Start",
        "Time": "2015-01-01T00:00:01.0000000Z",
    },
    {
        "user": "user@location.com",
        "feature": "RightMenu",
        "Event": "End",
        "Time": "2015-01-01T00:00:08.0000000Z",
    },
]
DOCUMENTED_OUTPUT = [{"user": "user@location.com", "feature": "RightMenu", "duration": 7}]


def run(
    tmp_path: Path, query: str, rows: list[dict[str, Any]], expected: list[dict[str, Any]] | None = None
) -> TestRun:
    project = write_query_project(tmp_path / "project", query, {"input": rows}, {"output": expected or []})
    return run_tests(project, output_dir=tmp_path / "out")


def test_the_duration_example_differs_by_case_and_the_run_names_both_comparisons(tmp_path: Path) -> None:
    """Ordinal comparison finds neither 'start' nor 'end' in `Start`/`End`: the documented row is missing,
    and the run names the two comparisons that decided it, with the values compared."""
    result = run(tmp_path, DURATION_QUERY, CLICKS, DOCUMENTED_OUTPUT)
    assert not result.passed
    found = [(c.line, c.expression, c.left, c.right) for c in result.case_dependent]
    assert found == [(6, "(Event = 'start')", "Start", "start"), (10, "(Event = 'end')", "End", "end")]


def test_data_in_the_literal_case_passes_without_a_warning(tmp_path: Path) -> None:
    rows = [{**row, "Event": row["Event"].lower()} for row in CLICKS]
    result = run(tmp_path, DURATION_QUERY, rows, DOCUMENTED_OUTPUT)
    assert result.passed
    assert result.case_dependent == []


@pytest.mark.parametrize(
    "condition",
    [
        "Make IN ('honda', 'Toyota')",  # IN is read as =
        "Make <> 'honda'",
        "Make < 'b'",  # 'Honda' < 'b' ordinally, not ignoring case
        "Make LIKE 'h%'",
        "CASE Make WHEN 'honda' THEN 1 ELSE 0 END = 0",
        "Make = Model",  # two columns
    ],
)
def test_every_kind_of_string_comparison_is_watched(tmp_path: Path, condition: str) -> None:
    rows = [{"Make": "Honda", "Model": "HONDA"}, {"Make": "Toyota", "Model": "toyota"}]
    result = run(tmp_path, f"SELECT Make INTO output FROM input WHERE {condition}", rows)
    assert [c.line for c in result.case_dependent] == [1], condition


def test_having_runs_on_the_per_group_compiler_and_is_watched_too(tmp_path: Path) -> None:
    query = """SELECT Make, COUNT(*) AS n INTO output FROM input TIMESTAMP BY Time
GROUP BY Make, TumblingWindow(second, 10)
HAVING Make = 'honda'"""
    rows = [{"Make": "Honda", "Time": "2015-01-01T00:00:01Z"}]
    result = run(tmp_path, query, rows)
    assert result.passed  # ordinal: no group is 'honda'
    assert [(c.line, c.left, c.right) for c in result.case_dependent] == [(3, "Honda", "honda")]


def test_the_command_warns_once_per_comparison_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = CLICKS * 5
    project = write_query_project(
        tmp_path / "project", DURATION_QUERY, {"input": rows}, {"output": DOCUMENTED_OUTPUT}
    )
    code = main(["--project", str(project), "--outputPath", str(tmp_path / "out")])
    assert code == EXIT_FAILED
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert "line 6, column" in warnings[0] and "'Start' with 'start'" in warnings[0]
    assert "decisions/0021" in warnings[0]


def test_a_group_by_key_split_by_case_is_named(tmp_path: Path) -> None:
    query = """SELECT Make, COUNT(*) AS n INTO output FROM input TIMESTAMP BY Time
GROUP BY Make, TumblingWindow(second, 10)"""
    rows = [
        {"Make": "Honda", "Time": "2015-01-01T00:00:01Z"},
        {"Make": "honda", "Time": "2015-01-01T00:00:02Z"},
        {"Make": "Toyota", "Time": "2015-01-01T00:00:03Z"},
    ]
    expected = [{"Make": "Honda", "n": 1}, {"Make": "honda", "n": 1}, {"Make": "Toyota", "n": 1}]
    result = run(tmp_path, query, rows, expected)
    assert result.passed
    [found] = result.case_dependent
    assert (found.line, found.grouped, found.left, found.right) == (2, True, "Honda", "honda")
    assert "separate groups" in found.message()
