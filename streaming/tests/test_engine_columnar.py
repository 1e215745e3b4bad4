"""Columnar fast paths agree with the per-value semantics on random rows of mixed JSON types."""

from __future__ import annotations

import math
import random

import pytest

from streaming.engine.codegen import ExpressionCompiler, Scope, build, sql
from streaming.engine.columnar import Batch, ColumnarCompiler, to_list
from streaming.engine.parser import parse
from streaming.engine.table import Table

EXPRESSIONS = [
    "a + b",
    "a - b * 2",
    "a / b",
    "a % 3",
    "-a",
    "a < b",
    "(a = b)",
    "a <> 1",
    "a >= 1.5",
    "(s = 'x')",
    "s <> 'y'",
    "s < 'm'",
    "f AND g",
    "f OR g",
    "NOT f",
    "(a > 1) AND (s = 'x' OR g)",
    "a IS NULL",
    "s IS NOT NULL",
    "TRY_CAST(a AS float)",
    "TRY_CAST(a AS bigint)",
    "TRY_CAST(s AS float)",
    "TRY_CAST(f AS bit)",
    "TRY_CAST(a AS nvarchar(max))",
    "TRY_CAST(s AS bit)",
    "TRY_CAST(a AS float) > TRY_CAST(b AS float)",
    "CASE WHEN a > 2 THEN 'big' WHEN a IS NULL THEN 'none' ELSE s END",
    "CASE s WHEN 'x' THEN a ELSE b END",
    "COALESCE(a, b, 0)",
    "NULLIF(s, 'x')",
    "rec.k",
    "rec.k + 1",
]
VALUES = [
    None,
    0,
    1,
    2,
    3,
    -4,
    1.5,
    2.0,
    -0.5,
    True,
    False,
    "x",
    "y",
    "2",
    "1.5",
    "",
    "true",
    "0",
    float("nan"),
]


def random_rows(seed: int, count: int = 200, mixed: bool = True) -> list[dict]:
    rng = random.Random(seed)
    pick = (lambda: rng.choice(VALUES)) if mixed else (lambda: rng.choice([None, 1, 2, 3, -4, 1.5, -0.5]))
    return [
        {
            "a": pick(),
            "b": pick(),
            "s": rng.choice([None, "x", "y", "a", "z"]) if not mixed else pick(),
            "f": rng.choice([None, True, False]) if not mixed else pick(),
            "g": rng.choice([None, True, False]),
            "rec": rng.choice([None, {"k": pick()}, {"other": 1}, "not a record"]),
        }
        for _ in range(count)
    ]


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return (type(a) is type(b) and a == b) or (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and math.isclose(a, b)
    )


@pytest.mark.parametrize("expression", EXPRESSIONS)
@pytest.mark.parametrize("mixed", [True, False], ids=["mixed-types", "uniform-types"])
def test_columnar_equals_per_value_semantics(expression: str, mixed: bool) -> None:
    node = parse(f"SELECT {expression} AS v INTO o FROM t").statements[0].items[0].expr
    scope = Scope(frozenset({"t"}), frozenset())
    reference = build(f"def f(r, t):\n    return {ExpressionCompiler(scope).expr(node)}\n", "f")
    evaluate = ColumnarCompiler(Scope(frozenset({"t"}), frozenset())).compile(node)
    for seed in range(3):
        rows = random_rows(seed, mixed=mixed)
        try:
            expected = [reference(row, 0) for row in rows]
        except Exception as exc:  # the per-value semantics refuse this data: the columnar path must too
            with pytest.raises(type(exc)):
                to_list(evaluate(Batch(Table.of_records(rows), [0] * len(rows), [])), len(rows))
            continue
        got = to_list(evaluate(Batch(Table.of_records(rows), [0] * len(rows), [])), len(rows))
        mismatches = [(row, e, g) for row, e, g in zip(rows, expected, got, strict=True) if not same(e, g)]
        assert not mismatches, f"{sql(node)}: {mismatches[:3]}"


CHAINED = """
WITH Computed AS (SELECT *, a * 10 AS a10, 'computed' AS a, s AS s2 FROM t),
Overridden AS (SELECT a10 AS b, 'mine' AS s, * FROM Computed WHERE a10 > 10),
Forwarded AS (SELECT Overridden.*, b + 1 AS c FROM Overridden)
SELECT a, b, c, s, a10 INTO o FROM Forwarded
"""


def test_columns_passed_between_steps_keep_row_semantics() -> None:
    """A later step reads columns an earlier SELECT computed without looking into each row; a `*`
    after a computed name (which may replace it) and a WHERE between the steps must not change a value."""
    from datetime import UTC, datetime

    from streaming.engine import Engine, InputEvent, compile_query, records

    engine = Engine(compile_query(CHAINED, {}))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [{"a": 1, "s": "x"}, {"a": 2, "s": "y", "b": 5}, {"a": 3}]
    out = [r.payload for r in records(engine.process("t", [InputEvent(row, now, 0) for row in rows]))]
    assert out == [
        {"a": "computed", "b": 5, "c": 6, "s": "y", "a10": 20},
        {"a": "computed", "b": 30, "c": 31, "s": "mine", "a10": 30},
    ]
