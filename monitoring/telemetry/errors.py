"""Exception tree of the telemetry package."""

from __future__ import annotations

from monitoring.errors import MonitoringError


class TelemetryError(MonitoringError):
    """Root of every telemetry error."""


class TelemetryConfigError(TelemetryError):
    """The connection string or sampling ratio is not usable."""


class InferenceRecordError(TelemetryError):
    """An inference record lacks a field or holds a value that cannot be sent."""


class TelemetryDeliveryError(TelemetryError):
    """Ingestion did not accept items sent and awaited (`Telemetry.log_traffic(..., confirm=True)`);
    `status` is its HTTP status (None: unreachable), 401/403 when the caller may not ingest there."""

    def __init__(self, status: int | None, message: str) -> None:
        self.status = status
        super().__init__(message)
