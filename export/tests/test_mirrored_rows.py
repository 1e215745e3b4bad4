"""Mirrored copies leave the export: a row counts only when its deployment took live traffic then
(decision 0014), the rule the export KQL applies on Azure and `export/rows.py` applies to the collector's
records (pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from environments.inference_log import TrafficChange, scored_live
from environments.loader import load_environment
from export.rows import to_rows

SCHEMA = load_environment("local").data_schema()
HOUR = datetime(2026, 11, 30, 9, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return HOUR + timedelta(minutes=minutes)


def record(request_id: str, deployment: str, minutes: float) -> dict:
    return {
        "time": at(minutes).isoformat(),
        "request_id": request_id,
        "model_name": "card-fraud",
        "model_version": "2" if deployment == "green" else "1",
        "deployment": deployment,
        "features": {"amount": 12.5},
        "score": 0.1,
        "error": None,
        "latency_ms": 3.0,
    }


# blue serves; green is created (its mirror step records blue as the only live one at minute 10), then
# takes 10% from minute 20 (recorded as blue+green), then all traffic from minute 40.
HISTORY = [
    TrafficChange(at(-30), frozenset({"green"})),  # an earlier rollout, before the window
    TrafficChange(at(5), frozenset({"blue", "green"})),
    TrafficChange(at(5.5), frozenset({"blue"})),
    TrafficChange(at(10), frozenset({"blue"})),
    TrafficChange(at(20), frozenset({"blue", "green"})),
    TrafficChange(at(40), frozenset({"green"})),
]


def test_rows_of_a_deployment_without_live_traffic_then_are_left_out() -> None:
    records = [
        record("t-1", "blue", 12),
        record("t-1", "green", 12.01),  # the mirrored copy of t-1
        record("t-2", "green", 25),  # green live at 10%
        record("t-3", "blue", 25),
        record("t-4", "blue", 45),  # blue in its bake period: takes no traffic, a stray request
        record("t-5", "green", 2),  # green live from the earlier rollout
    ]
    conversion = to_rows(records, SCHEMA, HOUR, HOUR + timedelta(hours=1), HISTORY)
    assert [(r["request_id"], r["deployment"]) for r in conversion.rows] == [
        ("t-5", "green"),
        ("t-1", "blue"),
        ("t-2", "green"),
        ("t-3", "blue"),
    ]
    assert conversion.mirrored == 2


def test_without_any_recorded_change_every_row_counts() -> None:
    records = [record("t-1", "blue", 12), record("t-2", "blue", 13)]
    conversion = to_rows(records, SCHEMA, HOUR, HOUR + timedelta(hours=1))
    assert len(conversion.rows) == 2 and conversion.mirrored == 0 and conversion.unrecorded == []


def test_two_deployments_the_history_does_not_name_make_the_hour_untrustworthy() -> None:
    """The rollout's traffic events refused at ingestion: blue's and green's rows (some mirrored copies)
    cannot be told apart, so the hour is flagged, not exported as if every row were live."""
    records = [record("t-1", "blue", 12), record("t-1", "green", 12.01), record("t-2", "blue", 13)]
    conversion = to_rows(records, SCHEMA, HOUR, HOUR + timedelta(hours=1))
    assert conversion.unrecorded == ["blue", "green"]
    only_blue_recorded = [TrafficChange(at(-30), frozenset({"blue"}))]
    conversion = to_rows(records, SCHEMA, HOUR, HOUR + timedelta(hours=1), only_blue_recorded)
    assert conversion.unrecorded == ["green"]


def test_a_candidate_only_ever_mirrored_is_named_by_the_history() -> None:
    """A mirror step rolled back before green took live traffic: green is in no live set, but the
    history names it as mirrored, so its rows are mirrored copies, not a gap in the history."""
    history = [
        TrafficChange(at(-30), frozenset({"blue"})),
        TrafficChange(at(10), frozenset({"blue"}), mirror=frozenset({"green"})),
        TrafficChange(at(30), frozenset({"blue"})),
    ]
    records = [record("t-1", "blue", 12), record("t-1", "green", 12.01)]
    conversion = to_rows(records, SCHEMA, HOUR, HOUR + timedelta(hours=1), history)
    assert (conversion.unrecorded, conversion.mirrored, len(conversion.rows)) == ([], 1, 1)


def test_the_last_change_at_or_before_a_row_judges_it_in_any_order() -> None:
    shuffled = list(reversed(HISTORY))
    assert scored_live("green", at(20), shuffled)  # a change counts from its own instant
    assert not scored_live("green", at(19.99), shuffled)
    assert not scored_live(None, at(30), shuffled)
    assert scored_live("blue", at(-40), shuffled)  # before any change: live
