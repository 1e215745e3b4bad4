"""Apply an alert rule to metric rows (pure): the same decision Azure Monitor makes for a log alert.

Rows are the collector's metric items (`time`, `name`, `value` = sum, `count`, `dimensions`). A row counts
when its name is the rule's metric, its `environment` dimension is the rule's, its feature is one the rule
lists, and its time is in the rule's window ``[at - windowSize, at)``. Rows are split by the rule's
dimensions (feature, model, version); the measure of a row is ``value / count`` (as the KQL's
``value / valueCount``); each split is aggregated with the rule's time aggregation and compared with the
threshold by the rule's operator. The rule fires when any split does (one failing period of one).

`since` (local only, no Azure counterpart) narrows the window to ``[max(at - windowSize, since), at)``: the
local loop judges only the metrics its own run sent, not those of an earlier run on the same collector.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitoring.alerts.rules import AGGREGATIONS, AlertRule


@dataclass(frozen=True)
class Breach:
    """One dimension split over the threshold."""

    dimensions: tuple[tuple[str, str], ...]
    value: float

    def to_json(self) -> dict[str, Any]:
        return {**dict(self.dimensions), "value": self.value}


@dataclass(frozen=True)
class RuleResult:
    rule: AlertRule
    fired: bool
    breaches: tuple[Breach, ...]
    evaluated_splits: int

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.name,
            "metric": self.rule.metric_name,
            "operator": self.rule.operator,
            "threshold": self.rule.threshold,
            "fired": self.fired,
            "evaluated_splits": self.evaluated_splits,
            "breaches": [b.to_json() for b in self.breaches],
        }


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def rule_window(rule: AlertRule, at: datetime, since: datetime | None = None) -> tuple[datetime, datetime]:
    """The half-open time range of rows the rule looks at when evaluated at `at`: its window before `at`,
    starting no earlier than `since` when given (empty when `since` is not before `at`)."""
    start = at - rule.window
    return (start if since is None else max(start, since)), at


def evaluate_rule(
    rule: AlertRule, rows: Iterable[Mapping[str, Any]], at: datetime, since: datetime | None = None
) -> RuleResult:
    """Whether `rule` fires at time `at` (timezone-aware) over these metric rows, counting only rows
    sent at or after `since` when given."""
    start, _ = rule_window(rule, at, since)
    splits: dict[tuple[tuple[str, str], ...], list[float]] = defaultdict(list)
    for row in rows:
        dimensions = row.get("dimensions") or {}
        if row.get("name") != rule.metric_name or dimensions.get("environment") != rule.environment:
            continue
        if dimensions.get("feature") not in rule.features or not (start <= _parse_time(row["time"]) < at):
            continue
        count = row.get("count") or 1
        key = tuple((d, str(dimensions.get(d, ""))) for d in rule.dimensions)
        splits[key].append(float(row["value"]) / count)
    aggregate = AGGREGATIONS[rule.time_aggregation]
    breaches = tuple(
        Breach(key, aggregate(values))
        for key, values in sorted(splits.items())
        if rule.breached(aggregate(values))
    )
    return RuleResult(rule, rule.enabled and bool(breaches), breaches, len(splits))
