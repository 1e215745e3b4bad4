"""The progressive rollout on Azure: traffic and mirror settings on the endpoint, each step judged on the
endpoint's Azure Monitor metrics (`ml/serving/azure_metrics.py`), read through the Metrics REST API of the
simulated control plane (`environments/azure_sim/endpoint_metrics.py`), with the same policy as locally."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.rest import HttpRequest

from environments.azure_sim import SimulatedAzure, SimulatedTransport, StaticCredential
from environments.azure_sim.endpoint_metrics import Behaviour
from environments.loader import load_environment
from ml.serving.azure_metrics import AzureMetrics, arm_pipeline, metrics_queries, window_stats
from ml.serving.errors import RolledBackError
from ml.serving.manifests import ModelRef
from ml.serving.rollout import Clock, progressive_rollout
from ml.serving.rollout_policy import WindowStats
from ml.serving.smoke import SmokeBatch, smoke_batch

ENDPOINT = (
    "resourceGroups/rg-streamscore-staging/providers/Microsoft.MachineLearningServices/workspaces/ws"
    "/onlineEndpoints/sscore-staging-score"
)
REQUESTS_PER_MINUTE = 1200
OLD_P99_MS = 60.0
MODEL = ModelRef("card-fraud", "8", "azureml://registries/sscore-registry/models/card-fraud/versions/8")
SETTINGS = load_environment("staging").rollout


class SimulatedEndpoint:
    """A ProgressiveTarget whose traffic lives on the simulated endpoint resource (what `set_traffic` on
    Azure stores: `traffic`, `mirrorTraffic`) and whose measurements come from its Azure Monitor metrics.
    Creating, calling and removing deployments (Azure ML's own calls) are kept in memory."""

    def __init__(self, azure: SimulatedAzure, metrics: AzureMetrics, smoke: SmokeBatch) -> None:
        self.azure, self.metrics, self.smoke = azure, metrics, smoke
        self.deployments = {"blue"}
        self.history: list[tuple[dict[str, int], dict[str, int]]] = []
        self._store({"blue": 100}, {})

    def _store(self, traffic: dict[str, int], mirror: dict[str, int]) -> None:
        self.azure.arrange(
            ENDPOINT,
            {"name": "sscore-staging-score", "properties": {"traffic": traffic, "mirrorTraffic": mirror}},
        )

    def serving(self) -> str | None:
        live = [(share, name) for name, share in self.traffic().items() if share]
        return max(live)[1] if live else None

    def create(self, name: str, model: ModelRef) -> None:
        self.deployments.add(name)

    def invoke(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        rows = body["Inputs"]["data"]
        results = [{"score": 0.1, "error": None, "model_version": MODEL.version} for _ in rows]
        results[self.smoke.bad_index] = {
            "score": None,
            "error": f"{self.smoke.bad_field}: missing",
            "model_version": MODEL.version,
        }
        return 200, {"Results": results}

    def shift(self, name: str) -> None:
        self.set_traffic({name: 100}, {})

    def delete(self, name: str) -> None:
        assert not self.traffic().get(name), f"deployment {name} removed while taking traffic"
        self.deployments.discard(name)
        self._store({k: v for k, v in self.traffic().items() if k != name}, {})  # as Azure ML drops it

    def set_traffic(self, traffic: dict[str, int], mirror: dict[str, int]) -> None:
        every = {name: traffic.get(name, 0) for name in self.deployments}
        self.history.append((every, dict(mirror)))
        self._store(every, {name: share for name, share in mirror.items() if share})

    def deployment_names(self) -> list[str]:
        return sorted(self.deployments)

    def record_traffic(self) -> None:
        return None  # the traffic history is tested against the collector (test_traffic_history_refused.py)

    def traffic(self) -> dict[str, int]:
        stored = self.azure.get(ENDPOINT)
        assert stored is not None
        return dict(stored["properties"]["traffic"])

    def window(self, since: float) -> dict[str, WindowStats]:
        return self.metrics.window(since)


class Minutes:
    """Simulated time: every whole minute that passes, the endpoint receives REQUESTS_PER_MINUTE calls."""

    def __init__(self, azure: SimulatedAzure) -> None:
        self.azure = azure
        self.now = 1_900_000_000.0
        self.served_until = self.now - self.now % 60

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        while self.served_until + 60 <= self.now:
            self.azure.serve_endpoint(ENDPOINT, self.served_until, REQUESTS_PER_MINUTE)
            self.served_until += 60

    def clock(self) -> Clock:
        return Clock(monotonic=lambda: self.now, wall=lambda: self.now, sleep=self.sleep, poll_s=30)


class AzureRollout:
    """One staging-like rollout of green over blue, on the simulated endpoint and its metrics."""

    def __init__(self, smoke: SmokeBatch) -> None:
        self.azure = SimulatedAzure()
        self.minutes = Minutes(self.azure)
        pipeline = arm_pipeline(StaticCredential(), SimulatedTransport(self.azure))
        endpoint_id = f"/subscriptions/{self.azure.subscription_id}/{ENDPOINT}"
        self.metrics = AzureMetrics(pipeline, endpoint_id, now=lambda: self.minutes.now)
        self.endpoint = SimulatedEndpoint(self.azure, self.metrics, smoke)
        self.smoke = smoke
        self.started = self.minutes.now

    def run(self, green: Behaviour) -> None:
        self.azure.endpoint_metrics.behaviour.update(
            blue=Behaviour(error_rate=0.0, p99_ms=OLD_P99_MS), green=green
        )
        progressive_rollout(self.endpoint, MODEL, self.smoke, SETTINGS, clock=self.minutes.clock())

    def measured(self) -> dict[str, WindowStats]:
        """Everything the endpoint's metrics recorded since the rollout began."""
        return self.metrics.window(self.started)


@pytest.fixture
def rollout_on_azure(local_environment) -> AzureRollout:
    return AzureRollout(
        smoke_batch(local_environment.data_schema(), local_environment.endpoint.smoke_batch_size)
    )


def test_a_candidate_failing_on_mirrored_traffic_is_rolled_back_at_the_mirror_step(rollout_on_azure) -> None:
    with pytest.raises(
        RolledBackError, match=r"rolled back to deployment blue: mirror 20%: error rate 5\.0%"
    ):
        rollout_on_azure.run(Behaviour(error_rate=0.05, p99_ms=OLD_P99_MS))
    endpoint = rollout_on_azure.endpoint
    assert endpoint.history == [
        ({"blue": 100, "green": 0}, {"green": SETTINGS.mirror_percent}),
        ({"blue": 100, "green": 0}, {}),
    ], "blue kept all live traffic; green only saw copies, then none"
    assert endpoint.deployment_names() == ["blue"]
    measured = rollout_on_azure.measured()
    minutes = (rollout_on_azure.minutes.served_until - rollout_on_azure.started) // 60
    assert measured["blue"].requests == minutes * REQUESTS_PER_MINUTE, "every live request answered by blue"
    assert measured["blue"].errors == 0 and measured["green"].errors > 0


def test_a_good_candidate_reaches_all_traffic_and_the_old_deployment_goes_after_the_bake(
    rollout_on_azure,
) -> None:
    rollout_on_azure.run(Behaviour(error_rate=0.0, p99_ms=OLD_P99_MS + 5))
    endpoint = rollout_on_azure.endpoint
    assert endpoint.history == [
        ({"blue": 100, "green": 0}, {"green": SETTINGS.mirror_percent}),
        *[({"blue": 100 - share, "green": share}, {}) for share in SETTINGS.shift_percents],
    ]
    assert endpoint.traffic() == {"green": 100} and endpoint.deployment_names() == ["green"]
    assert (
        rollout_on_azure.minutes.now - rollout_on_azure.started
        >= SETTINGS.old_bake_s + 4 * SETTINGS.step_bake_s
    )
    measured = rollout_on_azure.measured()
    assert measured["green"].requests > 0 and measured["green"].errors == 0


def test_a_candidate_twice_as_slow_is_rolled_back_at_the_first_shift(rollout_on_azure) -> None:
    with pytest.raises(
        RolledBackError, match=r"shift 10%: p99 latency 120 ms against the old deployment's 60 ms"
    ):
        rollout_on_azure.run(Behaviour(error_rate=0.0, p99_ms=2 * OLD_P99_MS))
    assert rollout_on_azure.endpoint.traffic() == {"blue": 100}
    assert rollout_on_azure.endpoint.deployment_names() == ["blue"]


def test_the_simulated_metrics_api_refuses_a_dimension_the_metric_lacks(rollout_on_azure) -> None:
    path, params = metrics_queries(
        f"/subscriptions/{rollout_on_azure.azure.subscription_id}/{ENDPOINT}", 0, 60
    )[1]
    params["$filter"] = "deployment eq '*' and statusCodeClass eq '*'"
    pipeline = rollout_on_azure.metrics._pipeline
    response = pipeline.send_request(HttpRequest("GET", pipeline.format_url(path), params=params))
    response.read()
    assert response.status_code == 400 and "statusCodeClass" in response.text()


def test_metrics_queries_ask_for_the_documented_metrics_and_dimensions() -> None:
    (requests_path, requests), (latency_path, latency) = metrics_queries(
        "/subscriptions/s/x/onlineEndpoints/e", 0, 600
    )
    assert (
        requests_path
        == latency_path
        == "/subscriptions/s/x/onlineEndpoints/e/providers/Microsoft.Insights/metrics"
    )
    assert (requests["metricnames"], requests["$filter"]) == (
        "RequestsPerMinute",
        "deployment eq '*' and statusCodeClass eq '*'",
    )
    assert (latency["metricnames"], latency["$filter"]) == ("RequestLatency_P99", "deployment eq '*'")
    assert (
        requests["timespan"] == "1970-01-01T00:00:00Z/1970-01-01T00:10:00Z" and requests["interval"] == "PT1M"
    )


def test_window_stats_sum_minutes_count_5xx_and_keep_the_worst_p99() -> None:
    def series(metric: str, labels: dict[str, str], values: list[float]) -> dict[str, Any]:
        return {
            "name": {"value": metric},
            "timeseries": [
                {
                    "metadatavalues": [{"name": {"value": k}, "value": v} for k, v in labels.items()],
                    "data": [{"timeStamp": f"t{i}", "average": v} for i, v in enumerate(values)],
                }
            ],
        }

    responses = [
        {"value": [series("RequestsPerMinute", {"deployment": "green", "statusCodeClass": "2xx"}, [90, 95])]},
        {"value": [series("RequestsPerMinute", {"deployment": "green", "statusCodeClass": "5xx"}, [10, 5])]},
        {"value": [series("RequestsPerMinute", {"deployment": "green", "statusCodeClass": "4xx"}, [3])]},
        {"value": [series("RequestLatency_P99", {"deployment": "green"}, [30.0, 80.0, 50.0])]},
    ]
    assert window_stats(responses) == {"green": WindowStats(requests=203, errors=15, p99_ms=80.0)}
