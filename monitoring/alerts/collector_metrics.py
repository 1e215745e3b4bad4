"""Read drift metric rows from the local collector's query API (`GET /query/metrics`)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

from environments.local_secrets import COLLECTOR_KEY_VARIABLE
from monitoring.alerts.errors import MetricsError


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class CollectorMetrics:
    """Metric rows of one name, environment and time range from a collector at `url`, read with its
    query key (`key`, else the variable STREAMSCORE_COLLECTOR_KEY)."""

    def __init__(self, url: str, timeout_s: float = 10.0, key: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        key = key or os.environ.get(COLLECTOR_KEY_VARIABLE, "")
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def rows(self, name: str, environment: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode(
            {"name": name, "from": _iso(start), "to": _iso(end), "dim.environment": environment}
        )
        address = f"{self.url}/query/metrics?{query}"
        try:
            request = urllib.request.Request(address, headers=self.headers)
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return list(json.loads(response.read())["items"])
        except (urllib.error.URLError, OSError, KeyError, json.JSONDecodeError) as exc:
            raise MetricsError(f"cannot read metrics from the collector at {address}: {exc}") from exc
