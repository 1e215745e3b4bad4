"""Azure Monitor metrics of online endpoints, simulated (test code): the progressive rollout's measurements.

`serve(endpoint_id, at, requests)` plays one minute of scoring traffic into an endpoint stored in the
simulator: each deployment gets its live share (`properties.traffic`) and its mirrored copies
(`properties.mirrorTraffic`; mirrored requests are recorded in the metrics although their answers are
dropped: https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online), and answers them
as `behaviour[deployment]` says (share of 5xx, p99 latency). `answer` serves
`GET <endpoint>/providers/Microsoft.Insights/metrics` (Metrics - List,
https://learn.microsoft.com/rest/api/monitor/metrics/list) for the two documented metrics the rollout
reads, with their documented dimensions
(https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-machinelearningservices-workspaces-onlineendpoints-metrics):
`RequestsPerMinute` (`deployment`, `statusCodeClass`, ...) and `RequestLatency_P99` (`deployment`), one
point per minute (PT1M, aggregation Average). A metric or dimension the resource type does not have is a
400, as Azure Monitor answers; the codes and messages are ours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from environments.azure_sim.rules import ArmError

DIMENSIONS = {
    "RequestsPerMinute": ("deployment", "statusCode", "statusCodeClass", "modelStatusCode"),
    "RequestLatency_P99": ("deployment",),
}


@dataclass(frozen=True)
class Behaviour:
    """How a deployment answers: the share of requests that fail with a 5xx, and its p99 latency."""

    error_rate: float = 0.0
    p99_ms: float = 20.0


@dataclass
class EndpointMetrics:
    """Per-minute points by endpoint (the simulator's resource key), filled by `serve`."""

    behaviour: dict[str, Behaviour] = field(default_factory=dict)
    _points: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def serve(self, endpoint_key: str, endpoint: dict[str, Any], at: float, requests: int) -> None:
        """One minute (starting at unix time `at`) of `requests` sent to the endpoint."""
        properties = endpoint.get("properties", {})
        received: dict[str, int] = defaultdict(int)
        for deployment, share in (properties.get("traffic") or {}).items():
            received[deployment] += round(requests * share / 100)
        for deployment, share in (properties.get("mirrorTraffic") or {}).items():
            received[deployment] += round(requests * share / 100)
        minute = at - at % 60
        for deployment, count in received.items():
            if not count:
                continue
            how = self.behaviour.get(deployment, Behaviour())
            errors = round(count * how.error_rate)
            self._points[endpoint_key].append(
                {
                    "minute": minute,
                    "deployment": deployment,
                    "2xx": count - errors,
                    "5xx": errors,
                    "p99": how.p99_ms,
                }
            )

    def answer(self, endpoint_key: str, params: dict[str, str]) -> dict[str, Any]:
        """The Metrics - List response for `params` (metricnames, timespan, $filter)."""
        names = [n for n in params.get("metricnames", "").split(",") if n]
        unknown = [n for n in names if n not in DIMENSIONS]
        if not names or unknown:
            raise ArmError(
                400, "BadRequest", f"Failed to find metric configuration for {unknown or 'no metric'}"
            )
        try:
            start, end = (_unix(part) for part in params["timespan"].split("/"))
        except (KeyError, ValueError) as exc:
            raise ArmError(400, "BadRequest", f"timespan must be <start>/<end> in ISO 8601: {exc}") from exc
        split = _split_dimensions(params.get("$filter", ""))
        points = [p for p in self._points[endpoint_key] if start <= p["minute"] < end]
        return {"interval": "PT1M", "value": [self._metric(name, split, points) for name in names]}

    def _metric(self, name: str, split: list[str], points: list[dict[str, Any]]) -> dict[str, Any]:
        missing = [d for d in split if d not in DIMENSIONS[name]]
        if missing:
            raise ArmError(400, "BadRequest", f"Metric {name} has no dimension {missing}")
        series: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for point in points:
            classes = ("2xx", "5xx") if name == "RequestsPerMinute" else ("",)
            for status_class in classes:
                if name == "RequestsPerMinute" and not point[status_class]:
                    continue
                labels = {"deployment": point["deployment"], "statusCodeClass": status_class}
                key = tuple(labels.get(d, "") for d in split)
                value = point[status_class] if name == "RequestsPerMinute" else point["p99"]
                series[key].append({"timeStamp": _iso(point["minute"]), "average": value})
        return {
            "name": {"value": name, "localizedValue": name},
            "unit": "Count" if name == "RequestsPerMinute" else "Milliseconds",
            "timeseries": [
                {
                    "metadatavalues": [
                        {"name": {"value": d, "localizedValue": d}, "value": v}
                        for d, v in zip(split, key, strict=True)
                    ],
                    "data": _per_minute(data, add=name == "RequestsPerMinute"),
                }
                for key, data in sorted(series.items())
            ],
            "errorCode": "Success",
        }


def _per_minute(data: list[dict[str, Any]], add: bool) -> list[dict[str, Any]]:
    """One point per minute: requests of a minute add up; a latency minute keeps its highest p99."""
    merged: dict[str, float] = {}
    for point in data:
        stamp, value = point["timeStamp"], point["average"]
        merged[stamp] = merged.get(stamp, 0.0) + value if add else max(merged.get(stamp, 0.0), value)
    return [{"timeStamp": stamp, "average": value} for stamp, value in sorted(merged.items())]


def _split_dimensions(expression: str) -> list[str]:
    """`deployment eq '*' and statusCodeClass eq '*'` -> the dimensions to split by."""
    split = []
    for term in (t.strip() for t in expression.split(" and ") if t.strip()):
        dimension, _, value = term.partition(" eq ")
        if value.strip() != "'*'":
            raise ArmError(
                400, "BadRequest", f"simulated $filter supports only `<dimension> eq '*'`, got {term!r}"
            )
        split.append(dimension.strip())
    return split


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unix(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
