"""Where inference records are read from: the local collector or Log Analytics (Application Insights)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol


class RecordSource(Protocol):
    """Records of [start, end) as mappings with the KQL's columns (time, request_id, ..., latency_ms)."""

    description: str

    def fetch(self, start: datetime, end: datetime) -> list[Mapping[str, Any]]: ...
