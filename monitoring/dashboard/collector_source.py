"""Read one time range of the dashboard's rows from the local collector's query API (the only I/O)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitoring.collector.query_client import CollectorQuery, query_time
from monitoring.dashboard.panels import Panel
from monitoring.errors import MonitoringError


class DashboardError(MonitoringError):
    """The dashboard cannot be drawn (collector unreachable, bad answer, unwritable page)."""


class CollectorSource:
    """`GET /query/<route>` of a collector at `url` over [start, end), with its query key (`key`, else the
    variable STREAMSCORE_COLLECTOR_KEY)."""

    def __init__(
        self, url: str, start: datetime, end: datetime, timeout_s: float = 30.0, key: str | None = None
    ) -> None:
        self.query = CollectorQuery(url, timeout_s, key)
        self.start, self.end = start, end

    def _items(self, route: str, **params: str) -> list[dict[str, Any]]:
        bounds = {"from": query_time(self.start), "to": query_time(self.end)}
        return self.query.items(route, {**bounds, **params}, DashboardError)

    def inferences(self) -> list[dict[str, Any]]:
        return self._items("inferences")

    def metric(self, panel: Panel, environment: str) -> list[dict[str, Any]]:
        """The panel's metric rows; drift metrics of `environment` only (as the KQL filters them)."""
        assert panel.metric_name is not None, panel.key
        extra = {"dim.environment": environment} if panel.local == "drift" else {}
        return self._items("metrics", name=panel.metric_name, **extra)
