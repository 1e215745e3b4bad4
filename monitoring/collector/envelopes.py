"""Request bodies -> checked telemetry items, one verdict per envelope (pure logic).

What the real exporter sends: a JSON array of envelopes (or newline-delimited JSON), optionally gzip.
Each envelope: `{"ver", "name", "time", "iKey", "tags", "data": {"baseType", "baseData"}}`.
"""

from __future__ import annotations

import hmac
import json
import zlib
from dataclasses import dataclass
from typing import Any

from .errors import PayloadError
from .timestamps import parse_timestamp

# baseType -> short type stored and queried (`event`, `metric`, ...), as in the App Insights tables.
TYPES = {
    "EventData": "event",
    "MetricData": "metric",
    "MessageData": "message",
    "RequestData": "request",
    "RemoteDependencyData": "dependency",
    "ExceptionData": "exception",
    "AvailabilityData": "availability",
    "PageViewData": "pageview",
}


@dataclass(frozen=True)
class StoredItem:
    """One row of the store: a custom event, one metric value, a message, ..."""

    index: int
    time_us: int
    type: str
    name: str
    role: str
    properties: dict[str, str]
    value: float | None
    count: int | None
    envelope: dict[str, Any]


@dataclass(frozen=True)
class ItemError:
    """The service's per-item verdict: index in the batch, status code, reason."""

    index: int
    status_code: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "statusCode": self.status_code, "message": self.message}


MAX_DECODED_BYTES = 64 * 1024 * 1024
"""A compressed body may not inflate past this (a small gzip can expand a thousandfold)."""


def _inflate(body: bytes, wbits: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    data = inflater.decompress(body, MAX_DECODED_BYTES + 1)
    if len(data) > MAX_DECODED_BYTES:
        raise PayloadError(f"body inflates past {MAX_DECODED_BYTES} bytes")
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return data


def decode_body(body: bytes, content_encoding: str = "") -> list[Any]:
    """gzip/deflate or plain bytes -> list of raw items (array or newline-delimited JSON)."""
    encoding = content_encoding.strip().lower()
    try:
        if encoding == "gzip" or body[:2] == b"\x1f\x8b":
            body = _inflate(body, zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            body = _inflate(body, zlib.MAX_WBITS)
    except (OSError, EOFError, zlib.error) as exc:
        raise PayloadError(f"body is not valid {encoding or 'gzip'}: {exc}") from exc
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8: {exc}") from exc
    stripped = text.strip()
    if not stripped:
        raise PayloadError("body is empty")
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise PayloadError(f"body is not a JSON array: {exc}") from exc
        if not isinstance(items, list):
            raise PayloadError("body is not a JSON array")
        return items
    # Newline-delimited: a line that is not JSON becomes that item's error, not the batch's.
    return [_json_line(line) for line in stripped.splitlines() if line.strip()]


class _BadLine:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _json_line(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        return _BadLine(f"line is not JSON: {exc.msg} at column {exc.colno}")


def parse_batch(items: list[Any], ikey: str | None = None) -> tuple[list[StoredItem], list[ItemError]]:
    """Check every envelope; valid ones become rows, invalid ones an ItemError with index and reason.
    With `ikey`, an envelope for any other instrumentation key is rejected (as the service does)."""
    rows: list[StoredItem] = []
    errors: list[ItemError] = []
    for index, item in enumerate(items):
        try:
            rows.extend(_rows(index, item, ikey))
        except ValueError as exc:
            errors.append(ItemError(index, 400, str(exc)))
    return rows, errors


def _rows(index: int, item: Any, ikey: str | None = None) -> list[StoredItem]:
    if isinstance(item, _BadLine):
        raise ValueError(item.reason)
    if not isinstance(item, dict):
        raise ValueError(f"envelope must be a JSON object, got {type(item).__name__}")
    _require_str(item, "name", "envelope")
    given = _require_str(item, "iKey", "envelope")
    time = item.get("time")
    try:
        time_us = parse_timestamp(time if isinstance(time, str) else "")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"field 'time' is not an ISO-8601 timestamp: {time!r}") from exc
    data = item.get("data")
    if not isinstance(data, dict):
        raise ValueError("field 'data' is required and must be an object")
    base_type = _require_str(data, "baseType", "data")
    base = data.get("baseData")
    if not isinstance(base, dict):
        raise ValueError("field 'data.baseData' is required and must be an object")
    # Checked once the envelope is well-formed, so a malformed one is told what is wrong with it.
    if ikey is not None and not hmac.compare_digest(given.encode(), ikey.encode()):
        raise ValueError("Invalid instrumentation key: field 'iKey' is not this collector's key")
    tags = item.get("tags")
    tags = tags if isinstance(tags, dict) else {}
    role = str(tags.get("ai.cloud.role", ""))
    properties = _properties(base)
    kind = TYPES.get(base_type, base_type)

    def row(name: str, value: float | None = None, count: int | None = None) -> StoredItem:
        return StoredItem(index, time_us, kind, name, role, properties, value, count, item)

    if base_type == "MetricData":
        metrics = base.get("metrics")
        if not isinstance(metrics, list) or not metrics:
            raise ValueError("field 'data.baseData.metrics' must be a non-empty list")
        return [row(*_metric(i, m)) for i, m in enumerate(metrics)]
    if base_type == "MessageData":
        return [row(_require_str(base, "message", "data.baseData"))]
    if base_type in ("EventData", "RequestData", "RemoteDependencyData", "AvailabilityData", "PageViewData"):
        return [row(_require_str(base, "name", "data.baseData"))]
    return [row(str(base.get("name", "")))]


def _metric(position: int, metric: Any) -> tuple[str, float, int]:
    where = f"data.baseData.metrics[{position}]"
    if not isinstance(metric, dict):
        raise ValueError(f"{where} must be an object")
    name = _require_str(metric, "name", where)
    value = metric.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"field '{where}.value' must be a number, got {value!r}")
    count = metric.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"field '{where}.count' must be a positive integer, got {count!r}")
    return name, float(value), count


def _properties(base: dict[str, Any]) -> dict[str, str]:
    properties = base.get("properties", {})
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise ValueError("field 'data.baseData.properties' must be an object")
    return {
        str(key): value if isinstance(value, str) else json.dumps(value) for key, value in properties.items()
    }


def _require_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"field '{key}' on '{where}' is required but missing or empty")
    return value
