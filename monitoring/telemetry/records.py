"""Inference records -> custom-event attributes, and the sampling decision (pure logic)."""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from environments.inference_log import (
    INFERENCE_COLUMNS,
    LIVE_FIELD,
    MIRROR_FIELD,
    PROBE_COLUMN,
    TRAFFIC_EVENT_NAME,
    live_json,
)

from .errors import InferenceRecordError

INFERENCE_EVENT_NAME = "inference"
"""Name of the custom event (`customEvents.name`) that carries one scored row."""

CUSTOM_EVENT_NAME_ATTRIBUTE = "microsoft.custom_event.name"
"""Log-record attribute that makes the Azure Monitor log exporter send a custom event."""

INFERENCE_FIELDS = (*INFERENCE_COLUMNS, PROBE_COLUMN)
"""The keys a logged record may have: the inference record's columns (`environments.inference_log`), and
`probe` on rows of probe traffic only."""
REQUIRED_FIELDS = ("request_id", "time", "model_name", "model_version", "features")


@dataclass(frozen=True)
class InferenceEvent:
    """One inference record ready to emit: event timestamp and string-valued attributes."""

    timestamp_ns: int
    attributes: dict[str, str]


def to_event(record: Mapping[str, Any], sampling_ratio: float = 1.0) -> InferenceEvent:
    """Check one record and turn it into custom-event attributes (customDimensions are strings)."""
    if not isinstance(record, Mapping):
        raise InferenceRecordError(f"inference record must be a mapping, got {type(record).__name__}")
    missing = [key for key in REQUIRED_FIELDS if record.get(key) is None]
    if missing:
        raise InferenceRecordError(f"inference record lacks {', '.join(missing)}")
    unknown = sorted(set(record) - set(INFERENCE_FIELDS))
    if unknown:
        raise InferenceRecordError(f"inference record has unknown keys {', '.join(unknown)}")
    features = record["features"]
    if not isinstance(features, Mapping):
        raise InferenceRecordError(f"features must be a mapping, got {type(features).__name__}")
    when = parse_time(record["time"])
    attributes = {
        CUSTOM_EVENT_NAME_ATTRIBUTE: INFERENCE_EVENT_NAME,
        "request_id": str(record["request_id"]),
        "time": format_time(when),
        "model_name": str(record["model_name"]),
        "model_version": str(record["model_version"]),
        "features": _features_json(features),
        "sampling_ratio": repr(float(sampling_ratio)),
    }
    for key in ("deployment", "error", "probe"):
        if record.get(key) is not None:
            attributes[key] = str(record[key])
    for key in ("score", "latency_ms"):
        value = record.get(key)
        if value is not None:
            attributes[key] = _number(key, value)
    return InferenceEvent(timestamp_ns=_epoch_ns(when), attributes=attributes)


def to_traffic_event(
    live: Iterable[str], when: datetime | None = None, mirror: Iterable[str] = ()
) -> InferenceEvent:
    """The `traffic` custom event: from `when` (default now) on, exactly `live` take live traffic (and
    `mirror` mirrored copies). Never sampled: the export needs every change to tell live rows from
    mirrored copies."""
    when = parse_time(when or datetime.now(UTC))
    names, mirrored = sorted(set(live)), sorted(set(mirror))
    if not all(isinstance(name, str) and name for name in [*names, *mirrored]):
        raise InferenceRecordError(f"deployments must be non-empty names, got {names!r} and {mirrored!r}")
    attributes = {
        CUSTOM_EVENT_NAME_ATTRIBUTE: TRAFFIC_EVENT_NAME,
        "time": format_time(when),
        LIVE_FIELD: live_json(names),
        MIRROR_FIELD: live_json(mirrored),
        "sampling_ratio": repr(1.0),
    }
    return InferenceEvent(timestamp_ns=_epoch_ns(when), attributes=attributes)


def is_sampled(request_id: str, sampling_ratio: float) -> bool:
    """Deterministic per request id, so a retried row is kept or dropped the same way everywhere."""
    if sampling_ratio >= 1.0:
        return True
    digest = hashlib.sha256(request_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < sampling_ratio


def parse_time(value: Any) -> datetime:
    """datetime, ISO-8601 string or epoch seconds -> aware UTC datetime."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InferenceRecordError(f"time {value!r} is not ISO-8601") from exc
    elif isinstance(value, int | float) and not isinstance(value, bool):
        when = datetime.fromtimestamp(value, tz=UTC)
    else:
        raise InferenceRecordError(f"time must be a datetime, ISO string or epoch seconds, got {value!r}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def format_time(when: datetime) -> str:
    """UTC ISO-8601 with microseconds and a Z suffix."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _epoch_ns(when: datetime) -> int:
    delta = when - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _number(key: str, value: Any) -> str:
    # numbers.Real admits numpy scalars (float32, int64) as well as Python numbers.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InferenceRecordError(f"{key} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InferenceRecordError(f"{key} must be finite, got {value!r}")
    return repr(float(value))


def _features_json(features: Mapping[str, Any]) -> str:
    try:
        return json.dumps(
            dict(features), sort_keys=True, separators=(",", ":"), allow_nan=False, default=_plain
        )
    except ValueError as exc:
        raise InferenceRecordError(f"features are not JSON-serialisable: {exc}") from exc


def _plain(value: Any) -> Any:
    """JSON fallback: numpy scalars as their Python value, datetimes as ISO text, anything else as str."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)
