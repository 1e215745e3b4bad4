"""The Azure source against an in-memory stand-in of LogsQueryClient (no Azure here): what it sends,
how it reads the table, and that a partial result is refused rather than written as a complete hour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.monitor.query import LogsQueryStatus

from export.errors import SourceError
from export.query_text import inference_query
from export.sources.log_analytics import LogAnalyticsSource

START, END = datetime(2026, 11, 29, 10, tzinfo=UTC), datetime(2026, 11, 29, 11, tzinfo=UTC)


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Result:
    status: LogsQueryStatus
    tables: list[Table]
    partial_error: Any = None


@dataclass
class RecordingClient:
    result: Result
    calls: list[dict[str, Any]] = field(default_factory=list)

    def query_resource(self, resource_id: str, query: str, **kwargs: Any) -> Result:
        self.calls.append({"resource_id": resource_id, "query": query, **kwargs})
        return self.result


def test_sends_the_bound_query_and_reads_rows_by_column() -> None:
    table = Table(["time", "request_id", "score"], [[START, "r-1", 0.5]])
    client = RecordingClient(Result(LogsQueryStatus.SUCCESS, [table]))
    rows = LogAnalyticsSource("/subscriptions/s/x", client).fetch(START, END)
    assert rows == [{"time": START, "request_id": "r-1", "score": 0.5}]
    (call,) = client.calls
    assert call["resource_id"] == "/subscriptions/s/x"
    assert call["timespan"] is None  # the KQL bounds each table; traffic changes before START count
    assert call["query"].endswith(inference_query())


def test_partial_result_is_refused() -> None:
    client = RecordingClient(Result(LogsQueryStatus.PARTIAL, [Table(["time"], [])], partial_error="limit"))
    with pytest.raises(SourceError, match="partial"):
        LogAnalyticsSource("/subscriptions/s/x", client).fetch(START, END)


def test_reads_the_traffic_history_with_its_mirror_names() -> None:
    table = Table(["time", "live", "mirror"], [[START, '["blue"]', '["green"]'], [END, '["green"]', ""]])
    client = RecordingClient(Result(LogsQueryStatus.SUCCESS, [table]))
    history = LogAnalyticsSource("/subscriptions/s/x", client).traffic_history(END)
    assert [(c.live, c.mirror) for c in history] == [
        (frozenset({"blue"}), frozenset({"green"})),
        (frozenset({"green"}), frozenset()),  # an event written before the mirror field existed
    ]
    (call,) = client.calls
    assert 'name == "traffic"' in call["query"] and call["timespan"] is None
