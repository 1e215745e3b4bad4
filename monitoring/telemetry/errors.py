"""Exception tree of the telemetry package."""

from __future__ import annotations

from monitoring.errors import MonitoringError


class TelemetryError(MonitoringError):
    """Root of every telemetry error."""


class TelemetryConfigError(TelemetryError):
    """The connection string or sampling ratio is not usable."""


class InferenceRecordError(TelemetryError):
    """An inference record lacks a field or holds a value that cannot be sent."""
