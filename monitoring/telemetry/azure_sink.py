"""The Azure Monitor side: emit custom events through the OTel logs pipeline, metrics as histograms."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import metrics, trace
from opentelemetry._logs import get_logger_provider
from opentelemetry.sdk._logs import LogRecord
from opentelemetry.sdk.resources import Resource

from .records import InferenceEvent

INSTRUMENTATION_SCOPE = "streamscore.telemetry"
FLUSH_TIMEOUT_MS = 30_000


class AzureMonitorSink:
    """Writes to the global OpenTelemetry providers that `configure_azure_monitor` installed."""

    def __init__(self, resource: Resource) -> None:
        self._resource = resource
        self._logger = get_logger_provider().get_logger(INSTRUMENTATION_SCOPE)
        self._meter = metrics.get_meter(INSTRUMENTATION_SCOPE)
        self._histograms: dict[str, metrics.Histogram] = {}

    def emit_event(self, event: InferenceEvent) -> None:
        """One log record with `microsoft.custom_event.name` -> one customEvents row."""
        self._logger.emit(
            LogRecord(
                timestamp=event.timestamp_ns,
                observed_timestamp=event.timestamp_ns,
                body=event.attributes.get("request_id", ""),
                resource=self._resource,
                attributes=event.attributes,
            )
        )

    def record_metric(self, name: str, value: float, dimensions: Mapping[str, str]) -> None:
        """A delta histogram: each export sends value=sum, valueCount, min, max per dimension set."""
        histogram = self._histograms.get(name)
        if histogram is None:
            histogram = self._histograms[name] = self._meter.create_histogram(name)
        histogram.record(value, attributes=dict(dimensions))

    def flush(self) -> None:
        """Force-flush logs, metrics and traces (blocking export of everything buffered)."""
        # The SDK's batch log processor returns None from force_flush, so results are not reported.
        for provider in (get_logger_provider(), metrics.get_meter_provider(), trace.get_tracer_provider()):
            force_flush = getattr(provider, "force_flush", None)
            if force_flush is not None:
                force_flush(FLUSH_TIMEOUT_MS)
