"""Alert rules read back from a rendered ARM template (pure): what the local evaluator applies.

Only what the Azure rule says is used: the query (metric, environment, features), the measure column,
time aggregation, operator, threshold, window size, evaluation frequency, severity and enabled flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from monitoring.alerts.errors import RuleError
from monitoring.alerts.queries import parse_drift_query

RULE_TYPE = "microsoft.insights/scheduledqueryrules"
OPERATORS = {
    "GreaterThan": lambda v, t: v > t,
    "GreaterThanOrEqual": lambda v, t: v >= t,
    "LessThan": lambda v, t: v < t,
    "LessThanOrEqual": lambda v, t: v <= t,
    "Equals": lambda v, t: v == t,
}
AGGREGATIONS = {"Maximum": max, "Minimum": min}
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


@dataclass(frozen=True)
class AlertRule:
    """One scheduled query rule over a drift metric."""

    name: str
    metric_name: str
    environment: str
    features: tuple[str, ...]
    measure_column: str
    dimensions: tuple[str, ...]
    time_aggregation: str
    operator: str
    threshold: float
    window: timedelta
    frequency: timedelta
    severity: int
    enabled: bool

    def breached(self, value: float) -> bool:
        return OPERATORS[self.operator](value, self.threshold)


def parse_duration(text: str, where: str) -> timedelta:
    """ISO-8601 day/hour/minute duration (`PT5M`, `PT1H`, `P1D`)."""
    match = _DURATION.match(text or "")
    if not match or not any(match.groups()):
        raise RuleError(f"{where}: {text!r} is not an ISO-8601 duration like PT5M, PT1H or P1D")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def _rule(resource: dict[str, Any], source: str) -> AlertRule:
    name = str(resource.get("name", "?"))
    where = f"{source}: rule {name!r}"
    try:
        properties = resource["properties"]
        conditions = properties["criteria"]["allOf"]
        if len(conditions) != 1:
            raise RuleError(f"{where}: expected one condition, found {len(conditions)}")
        condition = conditions[0]
        query = parse_drift_query(condition["query"], name)
        operator, aggregation = condition["operator"], condition["timeAggregation"]
        if operator not in OPERATORS:
            raise RuleError(f"{where}: operator {operator!r} is not one of {', '.join(OPERATORS)}")
        if aggregation not in AGGREGATIONS:
            raise RuleError(
                f"{where}: timeAggregation {aggregation!r} is not one of {', '.join(AGGREGATIONS)}"
            )
        return AlertRule(
            name=name,
            metric_name=query.metric_name,
            environment=query.environment,
            features=query.features,
            measure_column=condition["metricMeasureColumn"],
            dimensions=tuple(d["name"] for d in condition.get("dimensions", [])),
            time_aggregation=aggregation,
            operator=operator,
            threshold=float(condition["threshold"]),
            window=parse_duration(properties["windowSize"], f"{where} windowSize"),
            frequency=parse_duration(properties["evaluationFrequency"], f"{where} evaluationFrequency"),
            severity=int(properties["severity"]),
            enabled=bool(properties.get("enabled", True)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleError(f"{where}: missing or malformed {exc}") from exc


def rules_from_template(document: dict[str, Any], source: str) -> list[AlertRule]:
    """Every scheduled query rule of a rendered ARM template."""
    resources = document.get("resources")
    if not isinstance(resources, list):
        raise RuleError(f"{source}: not an ARM template (no resources list)")
    rules = [_rule(r, source) for r in resources if str(r.get("type", "")).lower() == RULE_TYPE]
    if not rules:
        raise RuleError(f"{source}: no {RULE_TYPE} resources")
    return rules
