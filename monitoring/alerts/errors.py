"""Errors of the alerting stage.

AlertError
├── RuleError        a rendered alert rule cannot be read (names file and rule)
└── MetricsError     the collector's metrics cannot be read
"""

from __future__ import annotations

from monitoring.errors import MonitoringError


class AlertError(MonitoringError):
    """Root of every alerting error."""


class RuleError(AlertError):
    """A rendered alert rule is missing or malformed."""


class MetricsError(AlertError):
    """The metrics store (the local collector) cannot be queried."""
