"""Golden refusals: every construct outside the supported subset fails at start with line and column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streaming.engine import FunctionBinding, ParseError, PlanError, QueryError, TokenizeError, compile_query

CASES = json.loads((Path(__file__).parent / "fixtures" / "engine" / "refused_queries.json").read_text())
STAGES = {"tokenize": TokenizeError, "parse": ParseError, "plan": PlanError}
FUNCTIONS = {"score": FunctionBinding("score", "http://127.0.0.1:1/score")}


@pytest.mark.parametrize("case", CASES, ids=[case["rule"] for case in CASES])
def test_refused_with_line_and_column(case: dict) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(case["query"], FUNCTIONS)
    error = caught.value
    assert type(error) is STAGES[case["stage"]], str(error)
    assert (error.line, error.column) == (case["line"], case["column"]), str(error)
    assert case["message"] in str(error)
    assert f"line {case['line']}, column {case['column']}" in str(error)


def test_supported_subset_compiles_and_explains() -> None:
    text = """
    WITH Typed AS (
        SELECT *, TRY_CAST(v AS float) AS value, CAST(k AS nvarchar(max)) AS key,
               CASE k WHEN 'a' THEN 1 ELSE 0 END AS is_a, total = v * 2
        FROM [in-put] AS i TIMESTAMP BY i.event_time
        WHERE v IS NOT NULL AND NOT (v < 0)
    ),
    Scored AS (SELECT Typed.*, udf.score(Typed) AS result FROM Typed)
    SELECT key, result.score AS score, System.Timestamp() AS t INTO [out-1] FROM Scored
    SELECT key, COUNT(*) AS n, SUM(value) AS s, AVG(value) AS a, MIN(value) AS lo, MAX(value) AS hi,
           System.Timestamp() AS window_end
    INTO [out-2] FROM Typed
    GROUP BY key, HoppingWindow(Duration(minute, 10), Hop(minute, 5), Offset(second, 30))
    HAVING COUNT(*) > 1
    """
    plan = compile_query(text, FUNCTIONS)
    assert list(plan.inputs) == ["in-put"]
    assert plan.outputs == ("out-1", "out-2")
    explain = plan.explain()
    assert "Input in-put (TIMESTAMP BY i.event_time)" in explain
    assert "CallFunction udf.score(Typed) batch=1000 parallel=1" in explain
    assert "HoppingWindow(10 minutes, hop 5 minutes, offset 30 seconds)" in explain
    assert "Having (COUNT(*) > 1)" in explain


def test_explain_matches_the_golden_plan() -> None:
    folder = Path(__file__).parent / "fixtures" / "engine"
    binding = FunctionBinding("score", "http://x", batch_size=500, parallel_requests=2)
    plan = compile_query((folder / "explain.asaql").read_text(), {"score": binding})
    assert plan.explain() + "\n" == (folder / "explain.txt").read_text()
