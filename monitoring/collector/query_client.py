"""A client of the collector's query API (`GET /query/<route>`), with the stack's query key.

Used inside the monitoring domain (the alert evaluator, the dashboard); other domains speak the HTTP
contract themselves (export/sources/collector.py).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

from environments.local_secrets import COLLECTOR_KEY_VARIABLE
from monitoring.errors import MonitoringError


def query_time(moment: datetime) -> str:
    """A query API time bound: ISO-8601 UTC with `Z`."""
    return moment.isoformat().replace("+00:00", "Z")


class CollectorQuery:
    """`GET /query/<route>` of a collector at `url`, read with its query key (`key`, else the variable
    STREAMSCORE_COLLECTOR_KEY)."""

    def __init__(self, url: str, timeout_s: float, key: str | None = None) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"collector URL must be http(s)://, got {url!r}")
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        key = key or os.environ.get(COLLECTOR_KEY_VARIABLE, "")
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def items(self, route: str, params: dict[str, str], error: type[MonitoringError]) -> list[dict[str, Any]]:
        """The answer's `items`; any failure raises `error` naming the route and the address."""
        address = f"{self.url}/query/{route}?{urllib.parse.urlencode(params)}"
        try:
            request = urllib.request.Request(address, headers=self.headers)
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return list(json.loads(response.read())["items"])
        except (urllib.error.URLError, OSError, KeyError, json.JSONDecodeError) as exc:
            raise error(f"cannot read {route} from the collector at {address}: {exc}") from exc
