"""A rollout leaves the next drift window unchanged: its smoke test's rows reach the inference log
marked as probe traffic, and the export (the drift input) leaves them out.

Real local endpoint (router + azmlinfsrv) logging to its own real collector, real exporter to Azurite:
score real-looking rows, export the window, roll out a new version (its smoke test posts a probe batch),
export the same window again: the same blobs, byte for byte, holding exactly the real rows.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from azure.storage.blob import BlobServiceClient

from environments.local_secrets import TELEMETRY_VARIABLE
from environments.standins import free_port, wait_until
from export.blob_sink import BlobSink
from export.exporter import export_window
from export.sources.collector import CollectorSource
from ml.scoring.probe import SMOKE_PROBE
from ml.serving.batches import request_body, stream_batch
from ml.serving.local_endpoint import LocalEndpoint
from ml.serving.manifests import ModelRef
from ml.serving.rollout import rollout
from ml.serving.smoke import smoke_batch
from ml.testing import collector_traffic_log
from monitoring.testing import RunningCollector, start_collector

pytestmark = pytest.mark.services  # collector, Azurite, router and azmlinfsrv deployments

REAL_ROWS = 40


@pytest.fixture
def own_collector(tmp_path: Path) -> Iterator[RunningCollector]:
    """A collector of this test only, so the export window holds nothing but what this test scored."""
    collector = start_collector(tmp_path / "collector")
    yield collector
    collector.stop()


def _inferences(collector: RunningCollector) -> list[dict]:
    return collector.query("inferences", type="event", name="inference")


def _wait_for(collector: RunningCollector, real: int, probes: int) -> None:
    def arrived() -> bool:
        rows = _inferences(collector)
        return (
            sum(r["probe"] is None for r in rows) >= real
            and sum(r["probe"] is not None for r in rows) >= probes
        )

    wait_until(arrived, timeout_s=120, what=f"{real} real and {probes} probe rows in the collector")


def _export(collector: RunningCollector, azurite, container: str, start: datetime, end: datetime, schema):
    sink = BlobSink.from_connection_string(azurite.connection_string, container)
    report = export_window(start, end, CollectorSource(collector.url, key=collector.query_key), sink, schema)
    client = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(
        container
    )
    blobs = {b.name: client.download_blob(b.name).readall() for b in client.list_blobs()}
    return report, blobs


def test_a_rollout_leaves_the_next_drift_window_unchanged(
    tmp_path, own_collector, azurite, local_environment, scoring_model_dir, monkeypatch
) -> None:
    monkeypatch.setenv(TELEMETRY_VARIABLE, own_collector.connection_string)  # the deployments log here
    schema = local_environment.data_schema()
    smoke_size = local_environment.endpoint.smoke_batch_size
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    traffic_log = collector_traffic_log(own_collector.connection_string)  # the rollouts' traffic changes
    endpoint = LocalEndpoint(local_environment, tmp_path / "ml", free_port(), traffic_log=traffic_log)
    router = endpoint.start_router()
    try:
        first = ModelRef("card-fraud", "1", "models:/card-fraud/1", str(scoring_model_dir))
        rollout(endpoint, first, smoke_batch(schema, smoke_size))

        rows = stream_batch(schema, REAL_ROWS, seed=7)
        for index, row in enumerate(rows):
            row[schema.id_column] = f"real-{uuid.uuid4().hex[:8]}-{index}"
        answer = httpx.post(
            f"{endpoint.url}/score", json=request_body(rows), headers=endpoint.headers(), timeout=60
        )
        assert answer.status_code == 200, answer.text
        real_ids = sorted(row[schema.id_column] for row in rows)
        _wait_for(own_collector, REAL_ROWS, smoke_size)
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        container = f"probe-{uuid.uuid4().hex[:12]}"
        before, blobs_before = _export(own_collector, azurite, container, start, end, schema)

        second = ModelRef("card-fraud", "2", "models:/card-fraud/2", str(scoring_model_dir))
        rollout(endpoint, second, smoke_batch(schema, smoke_size))
        _wait_for(own_collector, REAL_ROWS, 2 * smoke_size)
        after, blobs_after = _export(own_collector, azurite, container, start, end, schema)
    finally:
        endpoint.stop_all()
        router.stop()

    logged = _inferences(own_collector)
    probes = [r for r in logged if r["probe"] is not None]
    # The endpoint recorded the marker: both smoke tests, every row, from both deployments.
    assert len(probes) == 2 * smoke_size and {r["probe"] for r in probes} == {SMOKE_PROBE}
    assert {r["model_version"] for r in probes} == {"1", "2"}
    assert sorted(r["request_id"] for r in logged if r["probe"] is None) == real_ids

    # The drift input (the exported hours) is exactly the real rows, and the rollout changed no byte.
    exported = [pq.read_table(io.BytesIO(data)).to_pylist() for data in blobs_after.values()]
    assert sorted(row["request_id"] for table in exported for row in table) == real_ids
    assert blobs_after == blobs_before and before.rows == after.rows == REAL_ROWS
    assert sum(h.probes for h in before.hours) == smoke_size
    assert sum(h.probes for h in after.hours) == 2 * smoke_size
