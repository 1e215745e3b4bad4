"""The KQL of a drift alert rule: built here, placed by the template, parsed back by the local evaluator.

The query has one fixed shape, so the evaluator can read the rendered rule without a KQL engine:

    customMetrics
    | where name == "drift_<metric>"
    | extend feature = tostring(customDimensions.feature), model = ..., version = ..., environment = ...
    | where environment == "<env>"
    | where feature in ("<f1>", "<f2>")
    | extend drift_value = value / valueCount
    | project timestamp, feature, model, version, drift_value

`value / valueCount` is the mean of the exported histogram (the telemetry module sends sum and count).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from monitoring.alerts.errors import RuleError

MEASURE_COLUMN = "drift_value"
DIMENSIONS = ("feature", "model", "version")

_NAME = re.compile(r'\|\s*where name == ("(?:[^"\\]|\\.)*")')
_ENVIRONMENT = re.compile(r'\|\s*where environment == ("(?:[^"\\]|\\.)*")')
_FEATURES = re.compile(r"\|\s*where feature in \(([^)]*)\)")


def drift_query(metric_name: str, environment: str, features: list[str]) -> str:
    """The rule query for one drift metric over some features of one environment."""
    dimensions = ", ".join(f"{d} = tostring(customDimensions.{d})" for d in (*DIMENSIONS, "environment"))
    listed = ", ".join(json.dumps(f) for f in features)
    return "\n".join(
        [
            "customMetrics",
            f"| where name == {json.dumps(metric_name)}",
            f"| extend {dimensions}",
            f"| where environment == {json.dumps(environment)}",
            f"| where feature in ({listed})",
            f"| extend {MEASURE_COLUMN} = value / valueCount",
            f"| project timestamp, {', '.join(DIMENSIONS)}, {MEASURE_COLUMN}",
        ]
    )


@dataclass(frozen=True)
class ParsedQuery:
    metric_name: str
    environment: str
    features: tuple[str, ...]


def parse_drift_query(query: str, rule: str) -> ParsedQuery:
    """Metric name, environment and features of a query built by `drift_query`."""
    found = {
        key: pattern.search(query)
        for key, pattern in (("name", _NAME), ("environment", _ENVIRONMENT), ("features", _FEATURES))
    }
    missing = [key for key, match in found.items() if match is None]
    if missing:
        raise RuleError(f"rule {rule!r}: query is not a drift query (no {', '.join(missing)} filter)")
    text = {key: match.group(1) for key, match in found.items() if match is not None}
    try:
        features = json.loads(f"[{text['features']}]")
        return ParsedQuery(json.loads(text["name"]), json.loads(text["environment"]), tuple(features))
    except json.JSONDecodeError as exc:
        raise RuleError(f"rule {rule!r}: cannot read the query's filters: {exc}") from exc
