"""Read one time range of the dashboard's rows from the local collector's query API (the only I/O)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

from environments.local_secrets import COLLECTOR_KEY_VARIABLE
from monitoring.dashboard.panels import Panel
from monitoring.errors import MonitoringError


class DashboardError(MonitoringError):
    """The dashboard cannot be drawn (collector unreachable, bad answer, unwritable page)."""


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class CollectorSource:
    """`GET /query/<route>` of a collector at `url` over [start, end), with its query key (`key`, else the
    variable STREAMSCORE_COLLECTOR_KEY)."""

    def __init__(
        self, url: str, start: datetime, end: datetime, timeout_s: float = 30.0, key: str | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.start, self.end = start, end
        self.timeout_s = timeout_s
        key = key or os.environ.get(COLLECTOR_KEY_VARIABLE, "")
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def _items(self, route: str, **params: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"from": _iso(self.start), "to": _iso(self.end), **params})
        address = f"{self.url}/query/{route}?{query}"
        try:
            request = urllib.request.Request(address, headers=self.headers)
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return list(json.loads(response.read())["items"])
        except (urllib.error.URLError, OSError, KeyError, json.JSONDecodeError) as exc:
            raise DashboardError(f"cannot read {route} from the collector at {address}: {exc}") from exc

    def inferences(self) -> list[dict[str, Any]]:
        return self._items("inferences")

    def metric(self, panel: Panel, environment: str) -> list[dict[str, Any]]:
        """The panel's metric rows; drift metrics of `environment` only (as the KQL filters them)."""
        assert panel.metric_name is not None, panel.key
        extra = {"dim.environment": environment} if panel.local == "drift" else {}
        return self._items("metrics", name=panel.metric_name, **extra)
