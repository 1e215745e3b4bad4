"""Golden cases of snapshot windows (`GROUP BY ..., System.Timestamp()`), from the reference page
"Snapshot window" (MicrosoftDocs/azure-reference-other stream-analytics-docs/
snapshot-window-azure-stream-analytics.md): its tumbling-window snapshot example, with inputs written
for it since the page gives none."""

from __future__ import annotations

from pathlib import Path

from streaming.tests.test_documented_semantics import run_case

TWEETS = [
    {"Topic": "a", "User": "u1", "CreatedAt": "2026-11-29T00:05:00Z"},
    {"Topic": "a", "User": "u1", "CreatedAt": "2026-11-29T00:10:00Z"},
    {"Topic": "a", "User": "u2", "CreatedAt": "2026-11-29T00:20:00Z"},
    {"Topic": "b", "User": "u1", "CreatedAt": "2026-11-29T00:40:00Z"},
]
PER_INTERVAL = """
    WITH PerInterval AS (
        SELECT Topic, User, COUNT(*)
        FROM TwitterStream TIMESTAMP BY CreatedAt
        GROUP BY Topic, User, TumblingWindow(minute, 30)
    )
"""


def test_snapshot_window_groups_the_results_of_one_window_end(tmp_path: Path) -> None:
    query = (
        PER_INTERVAL
        + """
        SELECT Topic, Users = COUNT(*), Total = SUM (count), System.Timestamp() AS t
        FROM PerInterval
        GROUP BY Topic, System.Timestamp()
    """
    )
    expected = [
        {"Topic": "a", "Users": 2, "Total": 3, "t": "2026-11-29T00:30:00.0000000Z"},
        {"Topic": "b", "Users": 1, "Total": 1, "t": "2026-11-29T01:00:00.0000000Z"},
    ]
    run_case(tmp_path, query, {"TwitterStream": TWEETS}, {"output": expected})


def test_system_timestamp_beside_a_window_is_a_key(tmp_path: Path) -> None:
    """ "...add a tumbling window of 2 hours to the GROUP BY clause": every 30-minute result, at the end
    of the 2-hour window."""
    query = (
        PER_INTERVAL
        + """
        SELECT Topic, Users = COUNT(*), Total = SUM (count), System.Timestamp() AS t
        FROM PerInterval
        GROUP BY Topic, System.Timestamp(), Tumbling (hour, 2)
    """
    )
    expected = [
        {"Topic": "a", "Users": 2, "Total": 3, "t": "2026-11-29T02:00:00.0000000Z"},
        {"Topic": "b", "Users": 1, "Total": 1, "t": "2026-11-29T02:00:00.0000000Z"},
    ]
    run_case(tmp_path, query, {"TwitterStream": TWEETS}, {"output": expected})
