"""Read drift metric rows from the local collector's query API (`GET /query/metrics`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitoring.alerts.errors import MetricsError
from monitoring.collector.query_client import CollectorQuery, query_time


class CollectorMetrics:
    """Metric rows of one name, environment and time range from a collector at `url`, read with its
    query key (`key`, else the variable STREAMSCORE_COLLECTOR_KEY)."""

    def __init__(self, url: str, timeout_s: float = 10.0, key: str | None = None) -> None:
        self.query = CollectorQuery(url, timeout_s, key)

    def rows(self, name: str, environment: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        params = {
            "name": name,
            "from": query_time(start),
            "to": query_time(end),
            "dim.environment": environment,
        }
        return self.query.items("metrics", params, MetricsError)
