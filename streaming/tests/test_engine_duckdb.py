"""The executor against DuckDB on random data for non-window queries (filters, CASE, NULL logic, CAST)."""

from __future__ import annotations

import math
import random
import zlib
from datetime import UTC, datetime

import duckdb
import pytest

from streaming.engine import Engine, InputEvent, compile_query, records

ARRIVAL = datetime(2026, 11, 29, 10, tzinfo=UTC)
QUERIES = [
    ("SELECT id, x + y AS s, x * 2 - y AS d FROM t WHERE x > 10 AND y IS NOT NULL", None),
    ("SELECT id, CASE WHEN x > 50 THEN 'high' WHEN x > 20 THEN 'mid' ELSE 'low' END AS band FROM t", None),
    ("SELECT id, CASE k WHEN 'a' THEN 1 WHEN 'b' THEN 2 ELSE 0 END AS code FROM t WHERE NOT (k = 'c')", None),
    ("SELECT id, COALESCE(y, -1) AS y2, NULLIF(k, 'a') AS k2 FROM t WHERE x <= 30 OR y > 40", None),
    ("SELECT id, x FROM t WHERE (x > 20 AND y < 30) OR k IS NULL", None),
    ("SELECT id, x / 4 AS q, (x - 50) % 7 AS m, -x AS n, y / (x - 50) AS r FROM t WHERE x <> 50", None),
    ("SELECT id, s FROM t WHERE s LIKE '%1%' OR s NOT LIKE '_b%'", None),
    ("SELECT ID AS id, X + y AS s FROM T WHERE x > 10 AND K = 'a'", None),  # names match ignoring case
    ("SELECT id, CEILING(y) AS c, FLOOR(y) AS f, SIGN(x - 50) AS g, SUBSTRING(s, 2, 2) AS m FROM t", None),
    (
        "SELECT id, TRY_CAST(s AS float) AS f FROM t WHERE TRY_CAST(s AS float) IS NOT NULL AND TRY_CAST(s AS float) >= 0",
        "SELECT id, TRY_CAST(s AS DOUBLE) AS f FROM t WHERE TRY_CAST(s AS DOUBLE) IS NOT NULL AND TRY_CAST(s AS DOUBLE) >= 0",
    ),
]


def random_rows(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        rows.append(
            {
                "id": i,
                "x": rng.choice([None, rng.randint(0, 100)]) if rng.random() < 0.1 else rng.randint(0, 100),
                "y": None if rng.random() < 0.2 else round(rng.uniform(0, 60), 3),
                "k": rng.choice(["a", "b", "c", None]),
                "s": rng.choice(["1.5", "-2", "abc", "", "7e1", None, "12"]),
            }
        )
    return rows


def normalise(rows: list[dict]) -> list[tuple]:
    def value(v):
        return round(v, 9) if isinstance(v, float) and not math.isnan(v) else v

    return sorted((tuple((k, value(v)) for k, v in sorted(r.items())) for r in rows), key=repr)


@pytest.mark.parametrize(("query", "duck_query"), QUERIES)
def test_matches_duckdb(query: str, duck_query: str | None) -> None:
    rows = random_rows(300, seed=zlib.crc32(query.encode()))
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (id INTEGER, x INTEGER, y DOUBLE, k VARCHAR, s VARCHAR)")
    connection.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?, ?)", [[r["id"], r["x"], r["y"], r["k"], r["s"]] for r in rows]
    )
    cursor = connection.execute(duck_query or query)
    columns = [d[0] for d in cursor.description]
    expected = [dict(zip(columns, record, strict=True)) for record in cursor.fetchall()]

    plan = compile_query(query.replace(" FROM t", " INTO o FROM t"))
    got = records(Engine(plan).process("t", [InputEvent(r, ARRIVAL) for r in rows]))
    assert normalise([r.payload for r in got]) == normalise(expected)
