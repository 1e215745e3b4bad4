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
    # [NOT] IN and [NOT] BETWEEN ("WHERE" reference page), NULLs included
    ("SELECT id, x FROM t WHERE k IN ('a', 'c') OR x NOT IN (1, 2, 3, y)", None),
    ("SELECT id, x FROM t WHERE x BETWEEN 20 AND 40 AND y NOT BETWEEN 10 AND x", None),
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


def test_sliding_window_matches_a_duckdb_range_join() -> None:
    """SlidingWindow: a window ends at every event time and every event time + size ("when an event
    entered or exits the window", "Sliding Window" reference page) and holds (end - size, end]; DuckDB
    computes the same windows as a range join, keeping the non-empty ones."""
    rng = random.Random(13)
    rows = [
        {"k": rng.choice(["a", "b", "c"]), "v": rng.randint(0, 9), "second": rng.randint(0, 120)}
        for _ in range(200)
    ]
    rows.sort(key=lambda r: r["second"])
    plan = compile_query(
        "SELECT k, COUNT(*) AS n, SUM(v) AS total, MAX(v) AS top, System.Timestamp() AS e "
        "FROM t TIMESTAMP BY at GROUP BY k, SlidingWindow(second, 10)"
    )
    engine = Engine(plan)
    events = []
    for row in rows:
        when = ARRIVAL.timestamp() + row["second"]
        stamp = datetime.fromtimestamp(when, UTC)
        events.append(InputEvent({**row, "at": stamp.isoformat()}, stamp))
    actual = [
        {**r.payload, "e": int(r.timestamp.timestamp() - ARRIVAL.timestamp())}
        for r in records(engine.process("t", events) + engine.flush())
    ]
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (k VARCHAR, v INTEGER, s INTEGER)")
    connection.executemany("INSERT INTO t VALUES (?, ?, ?)", [(r["k"], r["v"], r["second"]) for r in rows])
    expected_rows = connection.execute(
        """
        WITH points AS (SELECT DISTINCT k, s AS e FROM t UNION SELECT DISTINCT k, s + 10 AS e FROM t)
        SELECT p.k, COUNT(*) AS n, SUM(t.v) AS total, MAX(t.v) AS top, p.e
        FROM points p JOIN t ON t.k = p.k AND t.s > p.e - 10 AND t.s <= p.e
        GROUP BY p.k, p.e
        """
    ).fetchall()
    expected = [dict(zip(("k", "n", "total", "top", "e"), row, strict=True)) for row in expected_rows]
    assert normalise(actual) == normalise(expected)


@pytest.mark.parametrize("kind", ["JOIN", "LEFT JOIN"])
def test_stream_join_matches_a_duckdb_range_join(kind: str) -> None:
    """Stream-to-stream JOIN ("JOIN" reference page): the pairs whose right time is 0..30 s after the
    left time, with equal keys; a LEFT JOIN miss at left time + 30 s. The two inputs arrive in random
    batches interleaved, so matches are found in either order; DuckDB computes the same as a range join."""
    from datetime import timedelta

    rng = random.Random(29 if kind == "JOIN" else 31)

    def stream(count: int) -> list[dict]:
        seconds = sorted(rng.randint(0, 600) for _ in range(count))
        return [{"id": i, "k": rng.choice("abc"), "s": s} for i, s in enumerate(seconds)]

    left, right = stream(120), stream(120)
    connection = duckdb.connect()
    for name, rows in (("l", left), ("r", right)):
        connection.execute(f"CREATE TABLE {name} (id INTEGER, k VARCHAR, s INTEGER)")
        connection.executemany(
            f"INSERT INTO {name} VALUES (?, ?, ?)", [[r["id"], r["k"], r["s"]] for r in rows]
        )
    expected = connection.execute(
        f"SELECT l.id, r.id, CASE WHEN r.id IS NULL THEN l.s + 30 ELSE greatest(l.s, r.s) END "
        f"FROM l {kind} r ON l.k = r.k AND r.s - l.s BETWEEN 0 AND 30"
    ).fetchall()

    def events(rows: list[dict]) -> list[InputEvent]:
        out = []
        for row in rows:
            at = ARRIVAL + timedelta(seconds=row["s"])
            out.append(InputEvent({**row, "t": at.isoformat()}, at))
        return out

    query = (
        f"SELECT a.id AS lid, b.id AS rid INTO o FROM l a TIMESTAMP BY t {kind} r b TIMESTAMP BY t "
        "ON a.k = b.k AND DATEDIFF(second, a, b) BETWEEN 0 AND 30"
    )
    engine = Engine(compile_query(query))
    pending = {"l": events(left), "r": events(right)}
    got = []
    while pending["l"] or pending["r"]:
        alias = rng.choice([a for a in pending if pending[a]])
        size = rng.randint(1, 15)
        batch, pending[alias] = pending[alias][:size], pending[alias][size:]
        got.extend(records(engine.process(alias, batch)))
    got.extend(records(engine.flush()))
    actual = [
        (r.payload["lid"], r.payload["rid"], (r.timestamp - ARRIVAL) // timedelta(seconds=1)) for r in got
    ]
    assert sorted(actual, key=repr) == sorted(expected, key=repr)
    stamps = [r.timestamp_us for r in got]
    assert stamps == sorted(stamps)  # rows leave in time order


def test_statistical_aggregates_match_duckdb_per_group() -> None:
    """STDEV/STDEVP/VAR/VARP and PERCENTILE_CONT/DISC per GROUP BY key in one window against DuckDB's
    stddev_samp/stddev_pop/var_samp/var_pop and quantile_cont/quantile_disc (NULLs skipped; one-value
    groups give NULL for the sample forms)."""
    rows = random_rows(300, seed=7)
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (id INTEGER, x INTEGER, y DOUBLE, k VARCHAR, s VARCHAR)")
    connection.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?, ?)", [[r["id"], r["x"], r["y"], r["k"], r["s"]] for r in rows]
    )
    cursor = connection.execute(
        "SELECT k, stddev_samp(y) AS sd, stddev_pop(x) AS sdp, var_samp(x) AS v, var_pop(y) AS vp,"
        " quantile_cont(y, 0.9) AS pc, quantile_disc(x, 0.25) AS pd, quantile_cont(y, 0.2) AS pcd"
        " FROM t GROUP BY k"
    )
    columns = [d[0] for d in cursor.description]
    expected = [dict(zip(columns, record, strict=True)) for record in cursor.fetchall()]
    query = """
        SELECT k, STDEV(y) AS sd, STDEVP(x) AS sdp, VAR(x) AS v, VARP(y) AS vp,
            PERCENTILE_CONT(0.9) OVER (ORDER BY y) AS pc, PERCENTILE_DISC(0.25) OVER (ORDER BY x) AS pd,
            PERCENTILE_CONT(0.8) OVER (ORDER BY y DESC) AS pcd
        INTO o FROM t GROUP BY k, TumblingWindow(hour, 1)
    """
    engine = Engine(compile_query(query))
    got = records(engine.process("t", [InputEvent(r, ARRIVAL.replace(minute=1)) for r in rows]))
    got += records(engine.flush())
    assert normalise([r.payload for r in got]) == normalise(expected)
