"""The inference log's own export path, apart from the OpenTelemetry batch processor.

Scoring calls put their rows on a bounded `InferenceQueue` (waiting when it is full); one thread sends
batches of rows through the Azure Monitor log exporter (one customEvents envelope per row, many rows per
request); a batch the service could not take is written to the retry spool, and a second thread resends
the spool every few seconds, so rows arrive as soon as ingestion is back, without waiting for new
traffic. A row that cannot be queued, spooled or accepted is counted: one log line naming the count and
the running total, and the `inference_log_lost_rows` metric. Nothing is dropped silently.

Uses members of the exporter that are not public (`_log_to_envelope`, `_transmit`,
`_transmit_from_storage`, the client's `_serialize`) to learn what happened to each batch and to send
rows as ready JSON; the exporter version is pinned in uv.lock, and
`ml/tests/test_inference_log_delivery.py` and `monitoring/tests/test_telemetry_wire_envelopes.py` fail
if they change.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.credentials import TokenCredential
from azure.monitor.opentelemetry.exporter import AzureMonitorLogExporter
from azure.monitor.opentelemetry.exporter.export._base import ExportResult
from opentelemetry.sdk._logs import LogData, LogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from .errors import TelemetryDeliveryError
from .inference_queue import InferenceQueue
from .records import InferenceEvent
from .wire_envelopes import EnvelopeTemplate, PassThroughSerializer, WireEnvelope

log = logging.getLogger(__name__)

SEND_BATCH_ROWS = 1000
"""Rows per ingestion request (~1.1 kB each as JSON: ~1.1 MB per request, under the 64 MB body limit)."""
SENDER_THREADS = 2
"""Requests in flight at once: one is built while the other waits for ingestion's answer."""
QUEUE_CAPACITY_ROWS = 50_000
"""Rows held in memory before scoring calls wait (~50 batches of the Stream Analytics function)."""
ENQUEUE_TIMEOUT_S = 30.0
"""How long a scoring call waits for room before its rows are counted lost instead."""
RESEND_INTERVAL_S = 5.0
"""How often the retry spool is resent; also the lease of a spooled file before it is retried."""
SPOOL_MAX_BYTES = 1024**3
"""The retry spool's size limit (the exporter's default is 50 MiB, ~45,000 rows)."""
LOST_ROWS_METRIC = "inference_log_lost_rows"
DELIVER_DEADLINE_S = 30.0
"""How long `deliver` keeps trying while ingestion is unreachable or busy."""
DELIVER_RETRY_S = 1.0
DELIVER_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Answers that say "try again later" (the exporter retries the same ones); 401/403 do not change by
waiting for a traffic change (a role assignment does, minutes later: then rerun)."""


@dataclass
class InferenceLogCounts:
    """Rows this process handled: `queued` = `sent` + `spooled` + lost after queueing + still queued."""

    queued: int = 0
    sent: int = 0
    spooled: int = 0
    lost: int = 0


def exporter_options(storage_directory: Path | None) -> dict[str, Any]:
    """Keyword arguments of the Azure Monitor exporters: the spool folder and quick failure."""
    options: dict[str, Any] = {"storage_min_retry_interval": RESEND_INTERVAL_S}
    if storage_directory is not None:
        options["storage_directory"] = str(storage_directory)
    return options


class InferenceExporter:
    """Queue, sender thread and spool resender of the inference log of one process."""

    def __init__(
        self,
        connection_string: str,
        resource: Resource,
        storage_directory: Path | None,
        count_lost: Callable[[int], None],
        credential: TokenCredential | None = None,
    ) -> None:
        # The same sign-in as the rest of the process's telemetry (Entra ID when a credential is given).
        sign_in = {"credential": credential} if credential is not None else {}
        # retry_total=0: a failed request goes to the spool at once instead of azure-core's backoff
        # (seconds per batch while ingestion is down, which would stall scoring behind the queue).
        self._exporter = AzureMonitorLogExporter(
            connection_string=connection_string,
            storage_max_size=SPOOL_MAX_BYTES,
            retry_total=0,
            **sign_in,
            **exporter_options(storage_directory),
        )
        # Rows are sent as ready JSON envelopes (wire_envelopes.py); other telemetry keeps the model path.
        client = self._exporter.client
        self._model_serializer = client._serialize
        # the SDK types the attribute as its own Serializer class; ours has the one method it calls
        client._serialize = PassThroughSerializer(client._serialize)  # type: ignore[assignment]
        self._template: EnvelopeTemplate | None = None
        self._resource = resource
        self._scope = InstrumentationScope("streamscore.telemetry.inference")
        self._count_lost = count_lost
        self._queue: InferenceQueue[InferenceEvent] = InferenceQueue(QUEUE_CAPACITY_ROWS, SEND_BATCH_ROWS)
        self._lock = threading.Lock()
        self.counts = InferenceLogCounts()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._send_loop, name=f"inference-log-sender-{number}", daemon=True)
            for number in range(SENDER_THREADS)
        ]
        self._threads.append(
            threading.Thread(target=self._resend_loop, name="inference-log-resender", daemon=True)
        )
        for thread in self._threads:
            thread.start()

    @property
    def spool_folder(self) -> Path | None:
        """Where rows wait for ingestion to come back (None when the exporter has no storage)."""
        storage = self._exporter.storage
        return Path(storage._path) if storage is not None else None

    def enqueue(self, events: Sequence[InferenceEvent]) -> None:
        """Queue one scoring call's rows, waiting for room (back-pressure); count what could not wait."""
        not_queued = self._queue.put(events, ENQUEUE_TIMEOUT_S)
        with self._lock:
            self.counts.queued += len(events) - not_queued
        if not_queued:
            self._lost(
                not_queued, f"the queue of {QUEUE_CAPACITY_ROWS} rows stayed full {ENQUEUE_TIMEOUT_S:.0f} s"
            )

    def deliver(self, events: Sequence[InferenceEvent], deadline_s: float = DELIVER_DEADLINE_S) -> None:
        """Send `events` in one request now, bypassing the queue and the spool, and return only once
        ingestion accepted every one; else raise `TelemetryDeliveryError` with its status. An unreachable
        or busy service (no answer, 408, 429, 5xx) is tried again until `deadline_s`; a refusal
        (401 no valid token, 403 the identity may not ingest into the component: no Monitoring Metrics
        Publisher role, https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication#troubleshooting)
        fails at once. Sent this way, a refusal is the caller's error, not a line in the exporter's log."""
        from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

        envelopes = [self._envelope(event) for event in events]
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                # the exporter's own client: its endpoint, sign-in and the pass-through serializer
                answer = self._exporter.client.track(envelopes)  # type: ignore[arg-type]
            except HttpResponseError as exc:
                status, reason = exc.status_code, f"{exc.status_code} {exc.reason}: {exc.message}"
                retry = status in DELIVER_RETRY_STATUSES
            except (ServiceRequestError, ServiceResponseError) as exc:
                status, reason, retry = None, f"unreachable: {exc}", True
            else:
                if answer.items_accepted == len(envelopes):
                    return
                errors = "; ".join(str(error.message) for error in answer.errors or [])
                status, reason, retry = (
                    206,
                    f"{answer.items_accepted} of {len(envelopes)} accepted: {errors}",
                    False,
                )
            if not retry or time.monotonic() >= deadline:
                raise TelemetryDeliveryError(status, f"ingestion did not accept the telemetry ({reason})")
            time.sleep(DELIVER_RETRY_S)

    def flush(self, timeout_s: float) -> bool:
        """Wait until every queued row is sent or spooled; False if `timeout_s` passed first."""
        return self._queue.wait_idle(timeout_s)

    def resend_spool(self) -> None:
        """Send what the spool holds now (each file is retried again later if ingestion is still down)."""
        self._exporter._transmit_from_storage()

    def close(self, timeout_s: float) -> None:
        """Send what is queued (up to `timeout_s`), stop the threads, and count rows left behind."""
        self.flush(timeout_s)
        left = self._queue.close()
        self._stopping.set()
        if left:
            self._lost(len(left), "the process stopped before they were sent")
        counts = self.counts
        log.info(
            "inference log: %d rows queued, %d sent, %d spooled for retry, %d lost",
            counts.queued,
            counts.sent,
            counts.spooled,
            counts.lost,
        )

    # -- threads -------------------------------------------------------------------------------------

    def _send_loop(self) -> None:
        while not self._stopping.is_set():
            batch = self._queue.take(timeout_s=0.5)
            if not batch:
                continue
            try:
                self._send(batch)
            except Exception:  # the thread must survive; the rows are counted and the cause logged
                log.exception("inference log: sending a batch of %d rows failed", len(batch))
                self._lost(len(batch), "sending failed (see the error above)")
            finally:
                self._queue.done(len(batch))

    def _send(self, batch: list[InferenceEvent]) -> None:
        envelopes = [self._envelope(event) for event in batch]
        # typed as the SDK's TelemetryItem list; WireEnvelope is the JSON those serialize to (see above)
        result = self._exporter._transmit(envelopes)  # type: ignore[arg-type]
        if result == ExportResult.SUCCESS:
            with self._lock:
                self.counts.sent += len(batch)
        elif result == ExportResult.FAILED_RETRYABLE:
            storage = self._exporter.storage
            if storage is not None and storage.put([envelope.as_dict() for envelope in envelopes]):
                with self._lock:
                    self.counts.spooled += len(batch)
            else:
                self._lost(
                    len(batch), f"ingestion is unreachable and the spool ({self.spool_folder}) is full"
                )
        else:
            # A 206 answer spools the rows the service may take later and logs the others ("Data drop").
            self._lost(
                len(batch), "ingestion refused the batch in full or in part (see the exporter's error)"
            )

    def _resend_loop(self) -> None:
        while not self._stopping.wait(RESEND_INTERVAL_S):
            try:
                self.resend_spool()
            except Exception:  # keep resending later; the files stay in the spool
                log.exception("inference log: resending the spool %s failed", self.spool_folder)

    def serialized_by_exporter(self, event: InferenceEvent) -> dict[str, Any]:
        """The envelope of `event` as the exporter itself would send it (log record -> model -> JSON)."""
        model = self._exporter._log_to_envelope(self._log_data(event))
        return self._model_serializer.body([model], "[TelemetryItem]")[0]

    def _envelope(self, event: InferenceEvent) -> WireEnvelope:
        if self._template is None:
            self._template = EnvelopeTemplate.from_exporter(self.serialized_by_exporter(event))
        return self._template.envelope(event)

    def _log_data(self, event: InferenceEvent) -> LogData:
        record = LogRecord(
            timestamp=event.timestamp_ns,
            observed_timestamp=event.timestamp_ns,
            body=event.attributes.get("request_id", ""),
            resource=self._resource,
            attributes=event.attributes,
        )
        return LogData(record, self._scope)

    def _lost(self, rows: int, reason: str) -> None:
        with self._lock:
            self.counts.lost += rows
            total = self.counts.lost
        log.error("inference log: %d rows not sent: %s (%d lost since start)", rows, reason, total)
        self._count_lost(rows)
