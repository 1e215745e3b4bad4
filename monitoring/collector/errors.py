"""Exception tree of the collector."""

from __future__ import annotations

from monitoring.errors import MonitoringError


class CollectorError(MonitoringError):
    """Root of every collector error."""


class PayloadError(CollectorError):
    """The request body is not a batch of envelopes (bad gzip, not JSON, not a list)."""


class QueryError(CollectorError):
    """A query parameter is missing or malformed; the message names it."""


class StoreError(CollectorError):
    """The SQLite store cannot be opened or written."""
