"""Where inference records are read from: the local collector or Log Analytics (Application Insights)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from environments.inference_log import TrafficChange


class RecordSource(Protocol):
    """Records of [start, end) as mappings with the KQL's columns (time, request_id, ..., latency_ms)."""

    description: str

    def fetch(self, start: datetime, end: datetime) -> list[Mapping[str, Any]]: ...

    def traffic_history(self, end: datetime) -> list[TrafficChange]:
        """The changes of the live deployments that judge rows before `end` (`environments.inference_log`):
        the last one before the window and those in it; [] where the query already applied them (the KQL)."""
        ...
