"""Each deployment's requests, errors and p99 latency on Azure, from the endpoint's Azure Monitor metrics.

The progressive rollout judges a step with `rollout_policy.judge` over `WindowStats` per deployment;
locally the router counts them, on Azure they come from the platform metrics of the online endpoint
(https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-machinelearningservices-workspaces-onlineendpoints-metrics):

- `RequestsPerMinute` (Count, aggregation Average, grain PT1M, dimensions `deployment`, `statusCode`,
  `statusCodeClass`, `modelStatusCode`): per minute and deployment, split by `statusCodeClass`; the
  window's requests are the sum of the minutes, its errors the `5xx` ones (the policy's "5xx or no
  answer": a 4xx is the client's bad request, which score.py answers for a bad body).
- `RequestLatency_P99` (Milliseconds, Average, PT1M, dimension `deployment`): the window's p99 is the
  highest minute's (a conservative reading of per-minute percentiles, which cannot be merged exactly).

Mirrored requests count for the deployment they are mirrored to ("the results of the mirrored traffic
to the green deployment aren't returned to the clients, but the metrics and logs are recorded":
https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online). Both are read with the
Metrics - List REST API (`GET <resource>/providers/Microsoft.Insights/metrics`, api-version 2023-10-01:
https://learn.microsoft.com/rest/api/monitor/metrics/list), one request per metric since the two have
different dimensions. Azure Monitor publishes a minute a little after it ends, so a step's bake time
should allow a few minutes. Query building and parsing are pure; only `AzureMetrics.window` calls Azure.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ml.serving.errors import RolloutError
from ml.serving.rollout_policy import WindowStats

METRICS_API_VERSION = "2023-10-01"
REQUESTS = "RequestsPerMinute"
LATENCY_P99 = "RequestLatency_P99"
DEPLOYMENT = "deployment"
STATUS_CLASS = "statusCodeClass"
SERVER_ERRORS = "5xx"
MAX_SERIES = 100  # `top`: series per request (default 10); deployments x status classes stay far below


def metrics_queries(endpoint_id: str, since: float, until: float) -> list[tuple[str, dict[str, str]]]:
    """(path, query parameters) of the two Metrics - List requests over [since, until) (unix times)."""
    timespan = f"{_iso(since)}/{_iso(until)}"
    path = f"{endpoint_id.rstrip('/')}/providers/Microsoft.Insights/metrics"

    def query(metric: str, dimensions: tuple[str, ...]) -> tuple[str, dict[str, str]]:
        return path, {
            "api-version": METRICS_API_VERSION,
            "metricnames": metric,
            "timespan": timespan,
            "interval": "PT1M",
            "aggregation": "Average",
            "$filter": " and ".join(f"{d} eq '*'" for d in dimensions),
            "top": str(MAX_SERIES),
        }

    return [query(REQUESTS, (DEPLOYMENT, STATUS_CLASS)), query(LATENCY_P99, (DEPLOYMENT,))]


def window_stats(responses: list[dict[str, Any]]) -> dict[str, WindowStats]:
    """The answers of `metrics_queries` as one `WindowStats` per deployment (pure)."""
    answered: dict[str, float] = defaultdict(float)
    errors: dict[str, float] = defaultdict(float)
    p99: dict[str, float] = {}
    for response in responses:
        for metric in response.get("value", []):
            name = metric.get("name", {}).get("value")
            for series in metric.get("timeseries", []):
                labels = {
                    str(m.get("name", {}).get("value", "")).lower(): str(m.get("value", ""))
                    for m in series.get("metadatavalues", [])
                }
                deployment = labels.get(DEPLOYMENT.lower())
                if not deployment:
                    raise RolloutError(
                        f"Azure Monitor: {name} series without a {DEPLOYMENT} dimension: {labels}"
                    )
                values = [
                    point["average"] for point in series.get("data", []) if point.get("average") is not None
                ]
                if name == REQUESTS:
                    answered[deployment] += sum(values)
                    if labels.get(STATUS_CLASS.lower()) == SERVER_ERRORS:
                        errors[deployment] += sum(values)
                elif name == LATENCY_P99 and values:
                    p99[deployment] = max(p99.get(deployment, 0.0), *values)
    return {
        deployment: WindowStats(
            requests=round(answered.get(deployment, 0.0)),
            errors=round(errors.get(deployment, 0.0)),
            p99_ms=p99.get(deployment),
        )
        for deployment in {*answered, *p99}
    }


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AzureMetrics:
    """Reads the window of every deployment of one endpoint through an ARM pipeline client
    (`azure.mgmt.core.ARMPipelineClient`; tests give it the simulated control plane's transport)."""

    def __init__(self, pipeline: Any, endpoint_id: str, now: Callable[[], float] = time.time) -> None:
        self._pipeline, self._endpoint_id, self._now = pipeline, endpoint_id, now

    def window(self, since: float) -> dict[str, WindowStats]:
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        responses = []
        for path, params in metrics_queries(self._endpoint_id, since, self._now()):
            try:
                url = self._pipeline.format_url(path)
                response = self._pipeline.send_request(HttpRequest("GET", url, params=params))
                response.read()
                response.raise_for_status()
            except HttpResponseError as exc:
                raise RolloutError(f"Azure Monitor metrics of {self._endpoint_id}: {exc}") from exc
            responses.append(response.json())
        return window_stats(responses)


def arm_pipeline(credential: Any, transport: Any = None) -> Any:
    """An ARM pipeline client (bearer token for management.azure.com) for the metrics requests."""
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy
    from azure.mgmt.core import ARMPipelineClient

    options = {} if transport is None else {"transport": transport}
    policies = [BearerTokenCredentialPolicy(credential, "https://management.azure.com/.default")]
    return ARMPipelineClient(base_url="https://management.azure.com", policies=policies, **options)
