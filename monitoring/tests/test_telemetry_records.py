"""Inference record conversion, sampling and settings resolution (no exporter involved)."""

from __future__ import annotations

import json

import pytest

from monitoring.telemetry import InferenceRecordError, TelemetryConfigError
from monitoring.telemetry.client import Telemetry
from monitoring.telemetry.records import INFERENCE_EVENT_NAME, is_sampled, to_event
from monitoring.telemetry.settings import resolve_settings

RECORD = {
    "request_id": "r-1",
    "time": "2026-11-29T10:15:00.123456Z",
    "model_name": "card-fraud",
    "model_version": "3",
    "deployment": "blue",
    "features": {"mcc": "5411", "amount": 12.5},
    "score": 0.25,
    "error": None,
    "latency_ms": 4,
}


def test_record_becomes_custom_event_with_string_dimensions() -> None:
    event = to_event(RECORD)
    assert event.attributes["microsoft.custom_event.name"] == INFERENCE_EVENT_NAME
    assert json.loads(event.attributes["features"]) == {"amount": 12.5, "mcc": "5411"}
    assert event.attributes["score"] == "0.25"
    assert event.attributes["latency_ms"] == "4.0"
    assert "error" not in event.attributes and "probe" not in event.attributes
    assert event.timestamp_ns == 1_795_947_300_123_456_000


def test_a_probe_record_carries_its_kind_as_a_dimension() -> None:
    assert to_event({**RECORD, "probe": "smoke"}).attributes["probe"] == "smoke"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"request_id": None}, "lacks request_id"),
        ({"score": "high"}, "score must be a number"),
        ({"features": [1, 2]}, "features must be a mapping"),
        ({"time": "yesterday"}, "not ISO-8601"),
        ({"extra": 1}, "unknown keys extra"),
        ({"latency_ms": float("nan")}, "must be finite"),
    ],
)
def test_bad_record_names_the_problem(change: dict, reason: str) -> None:
    with pytest.raises(InferenceRecordError, match=reason):
        to_event({**RECORD, **change})


def test_sampling_is_deterministic_and_close_to_the_ratio() -> None:
    ids = [f"req-{i}" for i in range(4000)]
    kept = [i for i in ids if is_sampled(i, 0.25)]
    assert kept == [i for i in ids if is_sampled(i, 0.25)]
    assert 800 < len(kept) < 1200
    assert all(is_sampled(i, 1.0) for i in ids)


def test_no_connection_string_means_off() -> None:
    settings = resolve_settings("score", environ={})
    assert settings.connection_string is None
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING is not set" in settings.off_reason


def test_unresolved_key_vault_reference_means_off() -> None:
    environ = {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "@Microsoft.KeyVault(SecretUri=https://kv/secrets/ai)"
    }
    assert "Key Vault reference" in resolve_settings("score", environ=environ).off_reason


def test_settings_from_environment_and_arguments() -> None:
    environ = {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=k;IngestionEndpoint=http://127.0.0.1:9/",
        "STREAMSCORE_LOG_SAMPLING_RATIO": "0.5",
    }
    settings = resolve_settings("score", environ=environ)
    assert settings.sampling_ratio == 0.5 and settings.is_loopback
    assert resolve_settings("score", sampling_ratio=0.2, environ=environ).sampling_ratio == 0.2


def test_retry_spool_is_the_stacks_own_folder_per_instrumentation_key(tmp_path) -> None:
    key = "11111111-2222-3333-4444-555555555555"
    environ = {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": f"InstrumentationKey={key};IngestionEndpoint=http://127.0.0.1:9/",
        "STREAMSCORE_TELEMETRY_SPOOL_DIR": str(tmp_path / "state" / "telemetry-spool"),
    }
    assert (
        resolve_settings("score", environ=environ).storage_directory
        == tmp_path / "state" / "telemetry-spool" / key
    )
    del environ["STREAMSCORE_TELEMETRY_SPOOL_DIR"]
    assert resolve_settings("score", environ=environ).storage_directory is None  # the exporter's default


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"STREAMSCORE_LOG_SAMPLING_RATIO": "half"}, "not a number"),
        ({"STREAMSCORE_LOG_SAMPLING_RATIO": "0"}, "outside"),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "IngestionEndpoint=http://x/"}, "no InstrumentationKey"),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "garbage"}, "part 0 is not Key=value"),
    ],
)
def test_bad_settings_are_named(environ: dict, reason: str) -> None:
    with pytest.raises(TelemetryConfigError, match=reason):
        resolve_settings("score", environ=environ)


class ListSink:
    """In-memory sink: what would have been sent."""

    def __init__(self) -> None:
        self.events: list = []
        self.metrics: list = []

    def emit_events(self, events) -> None:
        self.events.extend(events)

    def record_metric(self, name, value, dimensions) -> None:
        self.metrics.append((name, value, dict(dimensions)))

    def flush(self) -> None:
        pass


def test_bad_record_is_skipped_and_the_rest_are_sent(caplog: pytest.LogCaptureFixture) -> None:
    sink = ListSink()
    telemetry = Telemetry("score", sink)
    records = [RECORD, {**RECORD, "score": "x"}, ["not", "a", "record"], {**RECORD, "request_id": "r-2"}]
    assert telemetry.log_inferences(records) == 2
    assert [e.attributes["request_id"] for e in sink.events] == ["r-1", "r-2"]
    assert "inference record 1 not sent: score must be a number" in caplog.text
    assert "inference record 2 not sent: inference record must be a mapping" in caplog.text


def test_disabled_telemetry_is_a_no_op() -> None:
    telemetry = Telemetry("score", None)
    assert not telemetry.enabled
    assert telemetry.log_inferences([RECORD]) == 0
    telemetry.emit_metric("drift_psi", 0.1, {"feature": "amount"})
    telemetry.flush()


def test_numpy_values_are_sent_as_plain_numbers() -> None:
    np = pytest.importorskip("numpy")
    event = to_event(
        {**RECORD, "score": np.float32(0.5), "features": {"n": np.int64(3), "x": np.float64(1.5)}}
    )
    assert event.attributes["score"] == "0.5"
    assert json.loads(event.attributes["features"]) == {"n": 3, "x": 1.5}
