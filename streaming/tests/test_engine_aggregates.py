"""Aggregates and projections: NULL rules, HAVING, hopping windows, arrival time, records, CASE forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streaming.engine import Engine, EventOrdering, ExecutionError, InputEvent, compile_query, records

START = datetime(2026, 11, 29, 10, tzinfo=UTC)


def run(query: str, payloads: list[dict], seconds: list[float]) -> dict[str, list[dict]]:
    engine = Engine(compile_query(query), EventOrdering(5, 0, "Adjust"))
    events = [
        InputEvent({**p, "t": (START + timedelta(seconds=s)).isoformat()}, START + timedelta(seconds=s))
        for p, s in zip(payloads, seconds, strict=True)
    ]
    outputs: dict[str, list[dict]] = {}
    for record in records(engine.process("i", events)) + records(engine.flush()):
        outputs.setdefault(record.output, []).append(record.payload)
    return outputs


def test_null_rules_of_aggregates() -> None:
    query = """SELECT k, COUNT(*) AS all_rows, COUNT(v) AS non_null, SUM(v) AS total, AVG(v) AS mean,
                      MIN(v) AS low, MAX(v) AS high
               INTO o FROM i TIMESTAMP BY t GROUP BY k, TumblingWindow(second, 10)"""
    rows = [{"k": "a", "v": 1}, {"k": "a", "v": None}, {"k": "a", "v": 5}, {"k": "b", "v": None}]
    out = run(query, rows, [1, 2, 3, 4])["o"]
    assert out == [
        {"k": "a", "all_rows": 3, "non_null": 2, "total": 6, "mean": 3.0, "low": 1, "high": 5},
        {"k": "b", "all_rows": 1, "non_null": 0, "total": None, "mean": None, "low": None, "high": None},
    ]


def test_having_filters_groups_and_timestamp_is_window_end() -> None:
    query = """SELECT k, COUNT(*) AS n, System.Timestamp() AS window_end INTO o FROM i TIMESTAMP BY t
               GROUP BY k, TumblingWindow(second, 10) HAVING COUNT(*) >= 2"""
    out = run(query, [{"k": "a"}, {"k": "a"}, {"k": "b"}], [1, 2, 3])["o"]
    assert out == [{"k": "a", "n": 2, "window_end": "2026-11-29T10:00:10.0000000Z"}]


def test_hopping_window_emits_every_hop_with_overlap() -> None:
    query = """SELECT COUNT(*) AS n, System.Timestamp() AS e INTO o FROM i TIMESTAMP BY t
               GROUP BY HoppingWindow(second, 10, 5)"""
    out = run(query, [{}, {}, {}], [1, 6, 12])["o"]
    assert [(r["e"][17:19], r["n"]) for r in out] == [("05", 1), ("10", 2), ("15", 2), ("20", 1)]


def test_without_timestamp_by_arrival_time_is_event_time() -> None:
    query = "SELECT id, System.Timestamp() AS ts INTO o FROM i"
    out = run(query, [{"id": 1, "t": "ignored"}], [3])["o"]
    assert out == [{"id": 1, "ts": "2026-11-29T10:00:03.0000000Z"}]


def test_records_properties_flattening_and_case_forms() -> None:
    query = """WITH s AS (SELECT id, rec.inner.x AS x, rec.* , CASE id WHEN 1 THEN 'one' ELSE 'other' END AS word,
                                CASE WHEN rec.inner.x > 5 THEN 'big' WHEN rec.inner.x IS NULL THEN 'none' ELSE 'small' END AS size
                         FROM i)
               SELECT * INTO o FROM s"""
    rows = [{"id": 1, "rec": {"inner": {"x": 9}, "y": "a"}}, {"id": 2, "rec": {"y": "b"}}]
    out = run(query, rows, [1, 2])["o"]
    assert out == [
        {"id": 1, "x": 9, "inner": {"x": 9}, "y": "a", "word": "one", "size": "big"},
        {"id": 2, "x": None, "y": "b", "word": "other", "size": "none"},
    ]


def test_try_cast_and_three_valued_logic() -> None:
    query = """SELECT id, TRY_CAST(v AS float) AS f, TRY_CAST(v AS bigint) AS n, TRY_CAST(v AS bit) AS b,
                      (TRY_CAST(v AS float) > 1 OR v IS NULL) AS flag
               INTO o FROM i WHERE NOT (TRY_CAST(v AS float) < 0)  OR v IS NULL"""
    rows = [{"id": i, "v": v} for i, v in enumerate(["2.5", 7, True, "x", None, -3, "1"])]
    out = run(query, rows, list(range(7)))["o"]
    assert out == [
        {"id": 0, "f": 2.5, "n": 2, "b": None, "flag": True},
        {"id": 1, "f": 7.0, "n": 7, "b": True, "flag": True},
        {"id": 2, "f": 1.0, "n": 1, "b": True, "flag": False},
        {"id": 4, "f": None, "n": None, "b": None, "flag": True},
        {"id": 6, "f": 1.0, "n": 1, "b": True, "flag": False},
    ]


def test_cast_in_a_branch_not_taken_does_not_fail_but_a_failing_cast_stops_with_its_position() -> None:
    guarded = "SELECT id, CASE WHEN TRY_CAST(v AS float) IS NULL THEN -1.0 ELSE CAST(v AS float) END AS f INTO o FROM i"
    out = run(guarded, [{"id": 1, "v": "x"}, {"id": 2, "v": "2"}], [1, 2])["o"]
    assert out == [{"id": 1, "f": -1.0}, {"id": 2, "f": 2.0}]
    with pytest.raises(
        ExecutionError, match=r"step #1: CAST at line 1, column 12: CAST failed: 'x' is not a float"
    ):
        run("SELECT id, CAST(v AS float) AS f INTO o FROM i", [{"id": 1, "v": "x"}], [1])


def test_group_key_may_be_qualified_with_the_source_alias() -> None:
    query = """SELECT s.k, COUNT(*) AS n INTO o FROM i AS s TIMESTAMP BY t GROUP BY k, TumblingWindow(second, 10)"""
    assert run(query, [{"k": "a"}, {"k": "a"}], [1, 2])["o"] == [{"k": "a", "n": 2}]
