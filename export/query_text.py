"""The one KQL file of the export, and the window bindings the exporter prepends (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from environments.inference_log import INFERENCE_COLUMNS

QUERY_FILE = Path(__file__).resolve().parent / "queries" / "inference_records.kql"
TRAFFIC_QUERY_FILE = QUERY_FILE.with_name("traffic_history.kql")
COLUMNS = INFERENCE_COLUMNS
"""The columns the query projects: exactly the inference record's (owned by `environments.inference_log`)."""


def inference_query() -> str:
    """The KQL text, exactly as stored in export/queries/inference_records.kql."""
    return QUERY_FILE.read_text(encoding="utf-8")


def window_bindings(start: datetime, end: datetime) -> str:
    """`let window_start = datetime(...); let window_end = datetime(...);` with UTC instants."""
    return f"let window_start = datetime({kql_time(start)});\nlet window_end = datetime({kql_time(end)});\n"


def windowed_query(start: datetime, end: datetime, query: str | None = None) -> str:
    """The export KQL bound to [start, end)."""
    return window_bindings(start, end) + (inference_query() if query is None else query)


def traffic_query(start: datetime, end: datetime) -> str:
    """The traffic history KQL (export/queries/traffic_history.kql) bound like the export query."""
    return window_bindings(start, end) + TRAFFIC_QUERY_FILE.read_text(encoding="utf-8")


def kql_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
