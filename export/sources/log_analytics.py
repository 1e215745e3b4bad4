"""Records from Application Insights through the Log Analytics query API (`azure-monitor-query`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from environments.inference_log import MIRROR_FIELD, TRAFFIC_EVENT_NAME, TrafficChange, parse_live
from export.errors import SourceError
from export.query_text import traffic_query, windowed_query
from export.rows import parse_time

SERVER_TIMEOUT_S = 600


@dataclass(frozen=True)
class LogsRequest:
    """Everything sent for one hour: the resource, the bound KQL and the API-side timespan."""

    resource_id: str
    query: str
    timespan: tuple[datetime, datetime] | None


def build_request(resource_id: str, start: datetime, end: datetime, query: str | None = None) -> LogsRequest:
    """The resource-centric query for [start, end). No API-side timespan: it would hide the traffic
    changes before the window, which judge its first rows (the KQL bounds every table itself); azure-monitor-query
    documents `timespan=None` as "not constrain the query to a timespan"."""
    return LogsRequest(resource_id, windowed_query(start, end, query), None)


def app_insights_resource_id(subscription_id: str, resource_group: str, app_insights: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Insights/components/{app_insights}"
    )


def rows_of(columns: list[str], rows: list[list[Any]]) -> list[dict[str, Any]]:
    """A result table -> one mapping per row, keyed by column name."""
    return [dict(zip(columns, row, strict=True)) for row in rows]


class LogAnalyticsSource:
    """Runs the export KQL against the Application Insights resource with `azure_credential()`."""

    def __init__(self, resource_id: str, client: Any | None = None) -> None:
        self.resource_id = resource_id
        self.description = f"Application Insights {resource_id}"
        if client is None:
            from azure.monitor.query import LogsQueryClient

            from environments.azure_credential import azure_credential

            client = LogsQueryClient(azure_credential())
        self._client = client

    def traffic_history(self, end: datetime) -> list[TrafficChange]:
        """Every `traffic` event before `end` (export/queries/traffic_history.kql). The export KQL already
        keeps only rows of deployments live then; the history tells whether it was complete."""
        rows = self._query(LogsRequest(self.resource_id, traffic_query(end, end), None), end, end)
        try:
            return [
                TrafficChange(
                    parse_time(row["time"]),
                    parse_live(row["live"]),
                    parse_live(row.get("mirror"), MIRROR_FIELD),
                )
                for row in rows
            ]
        except (KeyError, ValueError) as exc:
            raise SourceError(
                f"{self.resource_id}: a {TRAFFIC_EVENT_NAME} event is unreadable: {exc}"
            ) from exc

    def fetch(self, start: datetime, end: datetime) -> list[Mapping[str, Any]]:
        return self._query(build_request(self.resource_id, start, end), start, end)

    def _query(self, request: LogsRequest, start: datetime, end: datetime) -> list[Mapping[str, Any]]:
        from azure.core.exceptions import HttpResponseError
        from azure.monitor.query import LogsQueryPartialResult, LogsQueryStatus

        try:
            response = self._client.query_resource(
                request.resource_id, request.query, timespan=request.timespan, server_timeout=SERVER_TIMEOUT_S
            )
        except HttpResponseError as exc:
            raise SourceError(
                f"query on {self.resource_id} for {start:%Y-%m-%dT%H}h failed: {exc.message}"
            ) from exc
        if isinstance(response, LogsQueryPartialResult) or response.status != LogsQueryStatus.SUCCESS:
            # A partial result would write an incomplete hour that looks complete: refuse it.
            reason = getattr(response, "partial_error", response.status)
            raise SourceError(f"query on {self.resource_id} for {start:%Y-%m-%dT%H}h was partial: {reason}")
        if not response.tables:
            return []
        table = response.tables[0]
        return list(rows_of(list(table.columns), [list(row) for row in table.rows]))
