"""A progressive rollout's mirror step leaves the drift window as it would be without it.

During the mirror step the candidate scores (and logs) a copy of live requests whose answers are
discarded, so the inference log holds those rows twice. Real local endpoint (router + azmlinfsrv) logging
to its own real collector, the rollout recording its traffic changes there too, the real exporter to
Azurite: every request sent during the rollout is exported exactly once, as scored by the deployment
that answered it, while the log shows the mirrored copies were there (decision 0014).
"""

from __future__ import annotations

import io
import threading
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
from ml.serving.batches import request_body, stream_batch
from ml.serving.local_endpoint import LocalEndpoint
from ml.serving.manifests import ModelRef
from ml.serving.rollout import progressive_rollout, rollout
from ml.serving.routes import DEPLOYMENT_HEADER
from ml.serving.smoke import smoke_batch
from ml.testing import collector_traffic_log
from monitoring.testing import RunningCollector, start_collector

pytestmark = pytest.mark.services  # collector, Azurite, router and azmlinfsrv deployments


@pytest.fixture
def own_collector(tmp_path: Path) -> Iterator[RunningCollector]:
    """A collector of this test only, so the export window holds nothing but what this test scored."""
    collector = start_collector(tmp_path / "collector")
    yield collector
    collector.stop()


def _real_rows(collector: RunningCollector) -> list[dict]:
    return [r for r in collector.query("inferences") if r["probe"] is None]


def test_a_mirror_step_leaves_the_exported_window_as_without_it(
    tmp_path, own_collector, azurite, local_environment, scoring_model_dir, monkeypatch
) -> None:
    monkeypatch.setenv(TELEMETRY_VARIABLE, own_collector.connection_string)  # the deployments log here
    schema = local_environment.data_schema()
    smoke = smoke_batch(schema, local_environment.endpoint.smoke_batch_size)
    settings = local_environment.rollout.model_copy(
        update={"mirror_percent": 50, "shift_percents": [100], "old_bake_s": 0, "min_requests": 20}
    )
    # The rollout's traffic changes go to the same collector, through the same exporter as score.py's rows.
    history = collector_traffic_log(own_collector.connection_string)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    endpoint = LocalEndpoint(local_environment, tmp_path / "ml", free_port(), traffic_log=history)
    router = endpoint.start_router()
    answered: dict[str, str] = {}  # request id -> deployment that answered the client
    failures: list[str] = []
    stop = threading.Event()

    def send() -> None:
        template = stream_batch(schema, 1, seed=11)[0]
        with httpx.Client(headers=endpoint.headers(), timeout=30) as client:
            while not stop.is_set():
                request_id = f"live-{uuid.uuid4().hex[:12]}"
                answer = client.post(
                    f"{endpoint.url}/score", json=request_body([{**template, schema.id_column: request_id}])
                )
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")
                    continue
                answered[request_id] = answer.headers[DEPLOYMENT_HEADER]

    try:
        rollout(endpoint, ModelRef("card-fraud", "1", "models:/card-fraud/1", str(scoring_model_dir)), smoke)
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        try:
            second = ModelRef("card-fraud", "2", "models:/card-fraud/2", str(scoring_model_dir))
            result = progressive_rollout(endpoint, second, smoke, settings)
        finally:
            stop.set()
            sender.join(timeout=60)
    finally:
        endpoint.stop_all()
        router.stop()
    assert history.telemetry is not None
    history.telemetry.flush()

    assert not failures and answered
    # Each answered request once, plus the copies the candidate scored during the mirror step (the step
    # passes only after `min_requests` of them).
    wait_until(
        lambda: len(_real_rows(own_collector)) >= len(answered) + settings.min_requests,
        timeout_s=120,
        what="the live rows and the mirrored copies in the collector",
    )
    logged = _real_rows(own_collector)
    twice = {r["request_id"] for r in logged if r["deployment"] == result.deployment} & {
        r["request_id"] for r in logged if r["deployment"] == result.previous
    }
    assert len(twice) >= settings.min_requests, "the mirror step logged no copies: nothing was tested"

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    container = f"mirror-{uuid.uuid4().hex[:12]}"
    sink_blobs = BlobSink.from_connection_string(azurite.connection_string, container)
    report = export_window(
        start, end, CollectorSource(own_collector.url, key=own_collector.query_key), sink_blobs, schema
    )
    client = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(
        container
    )
    exported = [
        row
        for blob in client.list_blobs()
        for row in pq.read_table(io.BytesIO(client.download_blob(blob.name).readall())).to_pylist()
    ]
    # The drift input is what clients were answered: each request once, by the deployment that answered.
    assert sorted((row["request_id"], row["deployment"]) for row in exported) == sorted(answered.items())
    assert report.rows == len(answered)
    assert sum(hour.mirrored for hour in report.hours) >= len(twice)
