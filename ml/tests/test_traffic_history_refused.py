"""A traffic history that ingestion refuses is loud, never a silent wrong drift input (decision 0014).

On Azure, a rollout signed in as an identity without Monitoring Metrics Publisher on Application Insights
gets 403 for its `traffic` events; before, only the exporter's log said so and the export then kept the
mirrored copies as live rows. The real collector stand-in answers that 403 (`--refuse-role rollout`):
recording a traffic change then fails naming the role and docs/identities.md, the progressive rollout stops
before it mirrors anything (the candidate removed, the old deployment serving), and the export refuses an
hour whose rows name a deployment the history misses.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from opentelemetry.sdk.resources import Resource

from environments.local_secrets import TELEMETRY_VARIABLE
from environments.standins import free_port
from export.blob_sink import BlobSink
from export.exporter import export_window
from export.sources.collector import CollectorSource
from ml.serving.errors import TrafficHistoryError
from ml.serving.local_endpoint import LocalEndpoint
from ml.serving.manifests import ModelRef
from ml.serving.rollout import progressive_rollout, rollout
from ml.serving.smoke import smoke_batch
from ml.serving.traffic_history import ROLE_NAME
from ml.testing import collector_traffic_log
from monitoring.telemetry import Telemetry
from monitoring.telemetry.azure_sink import AzureMonitorSink
from monitoring.testing import RunningCollector, start_collector

pytestmark = pytest.mark.services  # collectors, Azurite, router and azmlinfsrv deployments


@pytest.fixture
def refusing_collector(tmp_path: Path) -> Iterator[RunningCollector]:
    """Ingestion that refuses the rollout's identity and takes every other process's telemetry."""
    collector = start_collector(tmp_path / "refusing", refuse_roles=(ROLE_NAME,))
    yield collector
    collector.stop()


@pytest.fixture
def accepting_collector(tmp_path: Path) -> Iterator[RunningCollector]:
    collector = start_collector(tmp_path / "accepting")
    yield collector
    collector.stop()


def _traffic_events(collector: RunningCollector) -> int:
    return collector.count(type="event", name="traffic")


def test_a_refused_traffic_event_fails_naming_the_role_and_an_accepted_one_is_stored_at_once(
    refusing_collector: RunningCollector, accepting_collector: RunningCollector
) -> None:
    with pytest.raises(TrafficHistoryError) as refused:
        collector_traffic_log(refusing_collector.connection_string).record(frozenset({"blue"}))
    message = str(refused.value)
    assert "403" in message and "Monitoring Metrics Publisher" in message and "docs/identities.md" in message
    assert _traffic_events(refusing_collector) == 0

    collector_traffic_log(accepting_collector.connection_string).record(
        frozenset({"blue"}), frozenset({"green"})
    )
    # confirmed: in the store when record returns, no waiting for a background exporter
    (event,) = accepting_collector.query("items", type="event", name="traffic")
    assert (event["properties"]["live"], event["properties"]["mirror"]) == ('["blue"]', '["green"]')


def test_the_progressive_rollout_stops_before_mirroring_when_its_history_is_refused(
    tmp_path, refusing_collector, accepting_collector, local_environment, scoring_model_dir, monkeypatch
) -> None:
    monkeypatch.setenv(TELEMETRY_VARIABLE, accepting_collector.connection_string)  # the deployments log
    smoke = smoke_batch(local_environment.data_schema(), local_environment.endpoint.smoke_batch_size)
    settings = local_environment.rollout.model_copy(update={"old_bake_s": 0})
    endpoint = LocalEndpoint(
        local_environment,
        tmp_path / "ml",
        free_port(),
        traffic_log=collector_traffic_log(accepting_collector.connection_string),
    )
    router = endpoint.start_router()
    try:
        first = rollout(
            endpoint, ModelRef("card-fraud", "1", "models:/card-fraud/1", str(scoring_model_dir)), smoke
        )
        # From here on the rollout signs in as an identity that may not ingest.
        endpoint.traffic_log = collector_traffic_log(refusing_collector.connection_string)
        second = ModelRef("card-fraud", "2", "models:/card-fraud/2", str(scoring_model_dir))
        with pytest.raises(TrafficHistoryError, match="Monitoring Metrics Publisher"):
            progressive_rollout(endpoint, second, smoke, settings)
        routes = endpoint.routes()
        assert endpoint.deployment_names() == [first.deployment], "the candidate is removed"
        assert {name: share for name, share in routes.traffic.items() if share} == {first.deployment: 100}
        assert not routes.mirror, "nothing was ever mirrored"
    finally:
        endpoint.stop_all()
        router.stop()


def _scored(request_id: str, deployment: str, when: datetime) -> dict:
    return {
        "time": when.isoformat(),
        "request_id": request_id,
        "model_name": "card-fraud",
        "model_version": "2" if deployment == "green" else "1",
        "deployment": deployment,
        "features": {"amount": 12.5},
        "score": 0.1,
        "latency_ms": 3.0,
    }


def test_the_export_refuses_an_hour_whose_deployments_the_history_misses(
    refusing_collector: RunningCollector, azurite, local_environment
) -> None:
    """blue serves, green scores mirrored copies of its requests; the rollout's traffic events were refused."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    scoring = Telemetry(
        "scoring",
        AzureMonitorSink(
            Resource.create({"service.name": "scoring"}), refusing_collector.connection_string, None
        ),
    )
    rows = [_scored(f"r-{i}", "blue", hour + timedelta(minutes=i)) for i in range(5)]
    rows += [_scored(f"r-{i}", "green", hour + timedelta(minutes=i, seconds=1)) for i in range(3)]
    assert scoring.log_inferences(rows) == len(rows)
    scoring.flush()
    with pytest.raises(TrafficHistoryError):
        collector_traffic_log(refusing_collector.connection_string).record(
            frozenset({"blue"}), frozenset({"green"})
        )
    assert refusing_collector.count(type="event", name="inference") == len(rows)

    container = f"refused-{uuid.uuid4().hex[:12]}"
    source = CollectorSource(refusing_collector.url, key=refusing_collector.query_key)
    sink = BlobSink.from_connection_string(azurite.connection_string, container)
    report = export_window(hour, hour + timedelta(hours=1), source, sink, local_environment.data_schema())
    (refused,) = report.refused
    assert "blue, green" in refused.refused and "docs/identities.md" in refused.refused
    assert report.written == [] and "refused 1 hour(s)" in report.summary()
    client = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(
        container
    )
    assert not client.exists() or not list(client.list_blobs()), "no blob for an untrustworthy hour"
