"""The local evaluator's decision (pure): window, filters, splits, aggregation, operator."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.alerts.errors import RuleError
from monitoring.alerts.evaluate import evaluate_rule, rule_window
from monitoring.alerts.queries import drift_query, parse_drift_query
from monitoring.alerts.rules import AlertRule, parse_duration

AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
RULE = AlertRule(
    name="r",
    metric_name="drift_normalized_wasserstein_distance",
    environment="local",
    features=("amount", "score"),
    measure_column="drift_value",
    dimensions=("feature", "model", "version"),
    time_aggregation="Maximum",
    operator="GreaterThan",
    threshold=0.1,
    window=timedelta(minutes=5),
    frequency=timedelta(minutes=5),
    severity=2,
    enabled=True,
)


def _row(value: float, minutes_ago: float = 1, count: int = 1, **dimensions: str) -> dict:
    dims = {"feature": "amount", "model": "card-fraud", "version": "3", "environment": "local", **dimensions}
    time = (AT - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    return {"time": time, "name": RULE.metric_name, "value": value, "count": count, "dimensions": dims}


def test_fires_on_a_split_above_threshold_only() -> None:
    result = evaluate_rule(RULE, [_row(0.05), _row(0.3, feature="score"), _row(0.02, version="2")], AT)
    assert result.fired
    assert [b.to_json() for b in result.breaches] == [
        {"feature": "score", "model": "card-fraud", "version": "3", "value": 0.3}
    ]
    assert result.evaluated_splits == 3


@pytest.mark.parametrize(
    "row",
    [
        _row(0.5, minutes_ago=6),  # before the window
        _row(0.5, minutes_ago=0),  # at the end: the window is half-open
        _row(0.5, environment="dev"),
        _row(0.5, feature="merchant_category"),
        {**_row(0.5), "name": "drift_jensen_shannon_distance"},
    ],
)
def test_rows_outside_the_rule_never_fire(row: dict) -> None:
    assert not evaluate_rule(RULE, [row], AT).fired


def test_since_counts_only_rows_sent_from_then_on() -> None:
    """An earlier run's drifted metrics in the same collector (2 minutes ago) do not fire the alert of a
    run that started 1 minute ago; its own rows still do."""
    since = AT - timedelta(minutes=1)
    earlier_run = _row(0.5, minutes_ago=2)
    assert evaluate_rule(RULE, [earlier_run], AT).fired  # without the bound, the window holds it
    result = evaluate_rule(RULE, [earlier_run, _row(0.05, minutes_ago=0.5)], AT, since=since)
    assert not result.fired and result.evaluated_splits == 1
    assert evaluate_rule(RULE, [earlier_run, _row(0.5, minutes_ago=1)], AT, since=since).fired  # at `since`


def test_since_only_ever_narrows_the_rule_window() -> None:
    assert rule_window(RULE, AT, None) == (AT - timedelta(minutes=5), AT)
    assert rule_window(RULE, AT, AT - timedelta(hours=1)) == (AT - timedelta(minutes=5), AT)
    assert rule_window(RULE, AT, AT - timedelta(minutes=2)) == (AT - timedelta(minutes=2), AT)
    start, end = rule_window(RULE, AT, AT + timedelta(minutes=1))  # nothing sent yet: an empty window
    assert start >= end and not evaluate_rule(RULE, [_row(0.5)], AT, since=AT + timedelta(minutes=1)).fired


def test_measure_is_the_mean_of_the_exported_histogram() -> None:
    assert not evaluate_rule(RULE, [_row(0.3, count=4)], AT).fired  # 0.3 / 4 = 0.075
    assert evaluate_rule(RULE, [_row(0.3, count=2)], AT).fired


def test_pvalue_rule_fires_below_with_minimum() -> None:
    rule = replace(RULE, operator="LessThan", time_aggregation="Minimum", threshold=0.01)
    assert evaluate_rule(rule, [_row(0.5), _row(0.001)], AT).fired
    assert not evaluate_rule(rule, [_row(0.5), _row(0.02)], AT).fired


def test_disabled_rule_reports_but_does_not_fire() -> None:
    result = evaluate_rule(replace(RULE, enabled=False), [_row(0.5)], AT)
    assert result.breaches and not result.fired


def test_query_round_trip_and_bad_queries() -> None:
    parsed = parse_drift_query(drift_query("drift_x", "dev", ["a", 'b"c']), "r")
    assert (parsed.metric_name, parsed.environment, parsed.features) == ("drift_x", "dev", ("a", 'b"c'))
    with pytest.raises(RuleError, match=r"rule .r.*no environment"):
        parse_drift_query('customMetrics | where name == "x" | where feature in ("a")', "r")


def test_durations() -> None:
    assert parse_duration("PT5M", "w") == timedelta(minutes=5)
    assert parse_duration("P2D", "w") == timedelta(days=2)
    assert parse_duration("PT1H30M", "w") == timedelta(minutes=90)
    with pytest.raises(RuleError, match="w: '5m'"):
        parse_duration("5m", "w")
