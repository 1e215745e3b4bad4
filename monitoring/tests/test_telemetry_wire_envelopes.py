"""Inference envelopes built directly are the JSON the Azure Monitor exporter itself would send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource

from monitoring.telemetry.configure import STATSBEAT_DISABLED_VAR
from monitoring.telemetry.inference_export import InferenceExporter
from monitoring.telemetry.records import to_event
from monitoring.telemetry.wire_envelopes import EnvelopeTemplate, PassThroughSerializer, WireEnvelope

# Nothing listens there: the exporter is only asked to build envelopes, never to send.
CONNECTION = "InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=http://127.0.0.1:9/"


def _record(request_id: str, time: str, **changes) -> dict:
    return {
        "request_id": request_id,
        "time": time,
        "model_name": "card-fraud",
        "model_version": "4",
        "deployment": "green",
        "features": {"amount": 12.5, "channel": "pos", "card_present": True},
        "score": 0.25,
        "error": None,
        "latency_ms": 3.5,
        **changes,
    }


@pytest.fixture
def exporter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InferenceExporter]:
    monkeypatch.setenv(STATSBEAT_DISABLED_VAR, "true")  # SDK self-telemetry would go to the internet
    running = InferenceExporter(
        CONNECTION, Resource.create({"service.name": "score"}), tmp_path, lambda rows: None
    )
    yield running
    running.close(timeout_s=1)


def _same_instant(a: str, b: str) -> bool:
    return datetime.fromisoformat(a.replace("Z", "+00:00")) == datetime.fromisoformat(
        b.replace("Z", "+00:00")
    )


@pytest.mark.parametrize(
    ("record", "ratio"),
    [
        (_record("r-2", "2026-11-29T10:15:00.123456Z"), 1.0),
        (_record("r-3", "2026-11-29T23:59:59Z", score=None, error="amount: missing", deployment=None), 0.1),
    ],
)
def test_direct_envelope_equals_the_exporters(
    exporter: InferenceExporter, record: dict, ratio: float
) -> None:
    template = EnvelopeTemplate.from_exporter(
        exporter.serialized_by_exporter(to_event(_record("r-1", "2026-11-28T00:00:00Z")))
    )
    event = to_event(record, ratio)
    direct = template.envelope(event)
    expected = exporter.serialized_by_exporter(event)
    assert _same_instant(direct.pop("time"), expected.pop("time"))
    assert direct.pop("sampleRate") == 100.0 * ratio and expected.pop("sampleRate") == 100.0
    assert direct == expected


def test_the_client_sends_ready_envelopes_as_they_are_and_models_as_before(
    exporter: InferenceExporter,
) -> None:
    serializer = exporter._exporter.client._serialize
    assert isinstance(serializer, PassThroughSerializer)
    ready = [WireEnvelope({"name": "x"})]
    assert serializer.body(ready, "[TelemetryItem]") is ready
    model = exporter._exporter._log_to_envelope(
        exporter._log_data(to_event(_record("r-9", "2026-11-29T10:00:00Z")))
    )
    assert serializer.body([model], "[TelemetryItem]")[0]["data"]["baseData"]["name"] == "inference"
