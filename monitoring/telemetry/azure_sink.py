"""The Azure Monitor side: inference rows through the inference log's own exporter, metrics as histograms."""

from __future__ import annotations

import atexit
from collections.abc import Mapping, Sequence
from pathlib import Path

from azure.core.credentials import TokenCredential
from opentelemetry import metrics, trace
from opentelemetry._logs import get_logger_provider
from opentelemetry.sdk.resources import Resource

from .inference_export import LOST_ROWS_METRIC, InferenceExporter, InferenceLogCounts
from .records import InferenceEvent

INSTRUMENTATION_SCOPE = "streamscore.telemetry"
FLUSH_TIMEOUT_MS = 30_000
EXIT_TIMEOUT_S = 10.0


class AzureMonitorSink:
    """Inference rows go to an `InferenceExporter`; metrics and logs to the global OpenTelemetry providers
    that `configure_azure_monitor` installed."""

    def __init__(
        self,
        resource: Resource,
        connection_string: str,
        storage_directory: Path | None,
        credential: TokenCredential | None = None,
    ) -> None:
        self._meter = metrics.get_meter(INSTRUMENTATION_SCOPE)
        self._histograms: dict[str, metrics.Histogram] = {}
        self._inferences = InferenceExporter(
            connection_string,
            resource,
            storage_directory,
            count_lost=lambda rows: self.record_metric(LOST_ROWS_METRIC, rows, {}),
            credential=credential,
        )
        atexit.register(self._inferences.close, EXIT_TIMEOUT_S)

    @property
    def inference_counts(self) -> InferenceLogCounts:
        """Rows queued, sent, spooled and lost by this process so far."""
        return self._inferences.counts

    @property
    def spool_folder(self) -> Path | None:
        """The inference log's retry spool."""
        return self._inferences.spool_folder

    def emit_events(self, events: Sequence[InferenceEvent]) -> None:
        """One scoring call's rows (one customEvents row each), queued together; waits when the queue is full."""
        if events:
            self._inferences.enqueue(events)

    def deliver(self, events: Sequence[InferenceEvent]) -> None:
        """Send `events` now and wait until ingestion accepted them all (`InferenceExporter.deliver`)."""
        self._inferences.deliver(events)

    def record_metric(self, name: str, value: float, dimensions: Mapping[str, str]) -> None:
        """A delta histogram: each export sends value=sum, valueCount, min, max per dimension set."""
        histogram = self._histograms.get(name)
        if histogram is None:
            histogram = self._histograms[name] = self._meter.create_histogram(name)
        histogram.record(value, attributes=dict(dimensions))

    def flush(self) -> None:
        """Send every queued inference row, then force-flush logs, metrics and traces."""
        self._inferences.flush(FLUSH_TIMEOUT_MS / 1000)
        # The SDK's batch log processor returns None from force_flush, so results are not reported.
        for provider in (get_logger_provider(), metrics.get_meter_provider(), trace.get_tracer_provider()):
            force_flush = getattr(provider, "force_flush", None)
            if force_flush is not None:
                force_flush(FLUSH_TIMEOUT_MS)
