"""Drift alerts: the rendered Azure rules read back and applied locally to the collector's metrics.

load_rules(env) -> rules of the rendered drift-alerts template
evaluate_rule(rule, rows, at, since=None) -> RuleResult (pure); rule_window(rule, at, since)
CollectorMetrics(url).rows(...) -> metric rows from the local collector
"""

from monitoring.alerts.collector_metrics import CollectorMetrics
from monitoring.alerts.errors import AlertError, MetricsError, RuleError
from monitoring.alerts.evaluate import Breach, RuleResult, evaluate_rule, rule_window
from monitoring.alerts.rendered import load_rules
from monitoring.alerts.rules import AlertRule, rules_from_template

__all__ = [
    "AlertError",
    "AlertRule",
    "Breach",
    "CollectorMetrics",
    "MetricsError",
    "RuleError",
    "RuleResult",
    "evaluate_rule",
    "load_rules",
    "rule_window",
    "rules_from_template",
]
