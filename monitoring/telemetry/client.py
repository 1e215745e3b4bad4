"""The object score.py and the drift pipeline hold: log inference records, emit metrics, flush."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from .errors import InferenceRecordError
from .records import InferenceEvent, is_sampled, to_event, to_traffic_event

log = logging.getLogger(__name__)


class TelemetrySink(Protocol):
    """Where events and metric values go: Azure Monitor, or nowhere when telemetry is off."""

    def emit_events(self, events: Sequence[InferenceEvent]) -> None: ...

    def deliver(self, events: Sequence[InferenceEvent]) -> None: ...

    def record_metric(self, name: str, value: float, dimensions: Mapping[str, str]) -> None: ...

    def flush(self) -> None: ...


class Telemetry:
    """Telemetry for one process; `enabled` is False when nothing is configured (every call is a no-op)."""

    def __init__(self, role_name: str, sink: TelemetrySink | None, sampling_ratio: float = 1.0) -> None:
        self.role_name = role_name
        self.sampling_ratio = sampling_ratio
        self._sink = sink

    @property
    def enabled(self) -> bool:
        """True when records and metrics are sent somewhere."""
        return self._sink is not None

    def log_inferences(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Send one custom event per scored row; returns how many were kept (after sampling).

        The kept rows are handed over together (one queue operation per scoring call). A bad record is
        logged with its index and skipped: telemetry never fails the scoring call.
        """
        if self._sink is None:
            return 0
        kept: list[InferenceEvent] = []
        for index, record in enumerate(records):
            # Sampled out before conversion: at a low ratio most rows cost only a hash.
            request_id = record.get("request_id") if isinstance(record, Mapping) else None
            if request_id is not None and not is_sampled(str(request_id), self.sampling_ratio):
                continue
            try:
                event = to_event(record, self.sampling_ratio)
            except InferenceRecordError as exc:
                log.warning("inference record %d not sent: %s", index, exc)
                continue
            kept.append(event)
        self._sink.emit_events(kept)
        return len(kept)

    def log_traffic(self, live: Iterable[str], mirror: Iterable[str] = (), confirm: bool = False) -> bool:
        """Send the `traffic` event (the deployments taking live and mirrored traffic from now on,
        timestamped now) with the inference rows, so the inference log can tell live rows from mirrored
        copies (never sampled); False when telemetry is off. `confirm`: send it now and wait for ingestion
        to accept it, raising `TelemetryDeliveryError` otherwise (queued rows are only ever retried)."""
        if self._sink is None:
            return False
        event = to_traffic_event(live, mirror=mirror)
        if confirm:
            self._sink.deliver([event])
        else:
            self._sink.emit_events([event])
        return True

    def emit_metric(self, name: str, value: float, dimensions: Mapping[str, str] | None = None) -> None:
        """Record one value of a custom metric (customMetrics) with string dimensions."""
        if self._sink is None:
            return
        self._sink.record_metric(name, float(value), {str(k): str(v) for k, v in (dimensions or {}).items()})

    def flush(self) -> None:
        """Export everything buffered now (blocks until sent or the exporter gives up)."""
        if self._sink is not None:
            self._sink.flush()
