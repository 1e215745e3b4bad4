"""Records from the local collector's query API (`GET /query/inferences?from=&to=`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from environments.inference_log import LIVE_FIELD, MIRROR_FIELD, TRAFFIC_EVENT_NAME, TrafficChange, parse_live
from environments.local_secrets import COLLECTOR_KEY_VARIABLE
from export.errors import SourceError
from export.query_text import kql_time
from export.rows import parse_time as _time


class CollectorSource:
    """Reads the collector documented in monitoring/collector/README.md over HTTP, with its query key
    (`key`, else the variable STREAMSCORE_COLLECTOR_KEY)."""

    def __init__(self, base_url: str, client: httpx.Client | None = None, key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.description = f"collector {self.base_url}"
        self._client = client or httpx.Client(timeout=60.0)
        key = key or os.environ.get(COLLECTOR_KEY_VARIABLE, "")
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}

    def fetch(self, start: datetime, end: datetime) -> list[Mapping[str, Any]]:
        return self._items("inferences", {"from": kql_time(start), "to": kql_time(end)})

    def traffic_history(self, end: datetime) -> list[TrafficChange]:
        """Every `traffic` event before `end` (a local store holds few), as the KQL reads them."""
        events = self._items("items", {"type": "event", "name": TRAFFIC_EVENT_NAME, "to": kql_time(end)})
        try:
            return [
                TrafficChange(
                    _time(event["time"]),
                    parse_live((event.get("properties") or {}).get(LIVE_FIELD)),
                    parse_live((event.get("properties") or {}).get(MIRROR_FIELD), MIRROR_FIELD),
                )
                for event in events
            ]
        except (KeyError, ValueError) as exc:
            raise SourceError(
                f"collector {self.base_url}: a {TRAFFIC_EVENT_NAME} event is unreadable: {exc}"
            ) from exc

    def _items(self, route: str, params: dict[str, str]) -> list[Mapping[str, Any]]:
        url = f"{self.base_url}/query/{route}"
        try:
            response = self._client.get(url, params=params, headers=self._headers)
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot reach the collector at {url}: {exc}") from exc
        if response.status_code != 200:
            raise SourceError(f"collector {url} answered {response.status_code}: {response.text[:300]}")
        try:
            return list(response.json()["items"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"collector {url} answered without an items list") from exc
