"""Stored rows -> the shapes the query API returns: inference records and metric values (pure logic)."""

from __future__ import annotations

import json
from typing import Any

from environments.inference_log import INFERENCE_COLUMNS as RECORD_COLUMNS
from environments.inference_log import PROBE_COLUMN
from monitoring.telemetry.records import INFERENCE_EVENT_NAME

__all__ = ["INFERENCE_COLUMNS", "INFERENCE_EVENT_NAME", "inference_record", "metric_value"]
INFERENCE_COLUMNS = (*RECORD_COLUMNS, PROBE_COLUMN, "role")
"""The inference record's columns, `probe` (so the local export can leave probe rows out, as the KQL does)
and `role`, the cloud role of the process that logged the row."""


def inference_record(row: dict[str, Any]) -> dict[str, Any]:
    """An `inference` custom event -> the record score.py logged (same columns as the export KQL)."""
    props = row["properties"]
    try:
        features = json.loads(props.get("features", "{}"))
    except json.JSONDecodeError:
        features = None
    return {
        "time": row["time"],
        "request_id": props.get("request_id"),
        "model_name": props.get("model_name"),
        "model_version": props.get("model_version"),
        "deployment": props.get("deployment"),
        "features": features,
        "score": _float(props.get("score")),
        "error": props.get("error"),
        "latency_ms": _float(props.get("latency_ms")),
        "probe": props.get("probe"),
        "role": row["role"],
    }


def metric_value(row: dict[str, Any]) -> dict[str, Any]:
    """A customMetrics row: value is the sum of `count` recorded values, as in App Insights."""
    return {
        "time": row["time"],
        "name": row["name"],
        "value": row["value"],
        "count": row["count"],
        "dimensions": row["properties"],
        "role": row["role"],
    }


def _float(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None
