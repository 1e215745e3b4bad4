"""Inference records (from the collector or the KQL result) -> Parquet rows of one hour (pure logic)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from environments.data_schema import DataSchema, Feature
from environments.inference_log import TrafficChange, parse_features, scored_live, unrecorded_deployments


@dataclass
class Conversion:
    """Rows ready to write, in a stable order, the records that could not become rows and the probe
    records left out (smoke tests; the KQL leaves them out on Azure, the collector returns them)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duplicates: int = 0
    probes: int = 0
    mirrored: int = 0
    """Rows scored by a deployment that took no live traffic then: mirrored copies (decision 0014)."""
    unrecorded: list[str] = field(default_factory=list)
    """Deployments that scored rows of the window, which hold rows of more than one deployment, and that
    no traffic event names: the history is incomplete, so mirrored copies cannot be told from live rows
    and the hour must not be exported (`environments.inference_log.unrecorded_deployments`)."""


def to_rows(
    records: Iterable[Mapping[str, Any]],
    data_schema: DataSchema,
    start: datetime,
    end: datetime,
    history: Sequence[TrafficChange] = (),
) -> Conversion:
    """Convert, keep only [start, end), leave out probe traffic (a record with a `probe` kind) and
    mirrored copies (a row whose deployment was not live then, by the traffic `history`), as
    `export/queries/inference_records.kql` does, drop exact re-sends (same request id and time), sort
    stably. `unrecorded` names the deployments the history misses (then the rows cannot be trusted)."""
    result = Conversion()
    seen: set[tuple[datetime, str]] = set()
    rows: list[dict[str, Any]] = []
    scored_by: set[str | None] = set()
    for index, record in enumerate(records):
        if is_probe(record):
            result.probes += 1
            continue
        try:
            row = to_row(record, data_schema)
        except ValueError as exc:
            result.skipped.append(f"record {index}: {exc}")
            continue
        if not start <= row["time"] < end:
            continue
        scored_by.add(row["deployment"])
        if not scored_live(row["deployment"], row["time"], history):
            result.mirrored += 1
            continue
        key = (row["time"], row["request_id"])
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        rows.append(row)
    result.rows = sorted(rows, key=lambda r: (r["time"], r["request_id"]))
    result.unrecorded = sorted(unrecorded_deployments(scored_by, history))
    return result


def is_probe(record: Mapping[str, Any]) -> bool:
    """A record of probe traffic: its `probe` field is non-empty text (the KQL's `isempty` test)."""
    return _text(record.get("probe")) is not None


def to_row(record: Mapping[str, Any], data_schema: DataSchema) -> dict[str, Any]:
    """One record -> one row: features typed per the contract; a value of the wrong type becomes null."""
    request_id = _text(record.get("request_id"))
    if request_id is None:
        raise ValueError("request_id is missing")
    features = parse_features(record.get("features"))
    row: dict[str, Any] = {
        "time": _time(record.get("time")),
        "request_id": request_id,
        "model_name": _text(record.get("model_name")) or "",
        "model_version": _text(record.get("model_version")) or "",
        "deployment": _text(record.get("deployment")),
    }
    for feature in data_schema.features:
        row[feature.name] = typed_feature(feature, features.get(feature.name))
    row["score"] = _float(record.get("score"))
    row["error"] = _text(record.get("error"))
    row["latency_ms"] = _float(record.get("latency_ms"))
    return row


def typed_feature(feature: Feature, value: Any) -> Any:
    """Coerce a logged feature value to its contract type, or None when it does not fit."""
    if value is None:
        return None
    if feature.type == "float":
        return _float(value)
    if feature.type in ("integer", "count"):
        number = _float(value)
        return int(number) if number is not None and number.is_integer() else None
    if feature.type == "boolean":
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}.get(str(value).strip().lower())
    if isinstance(value, bool):
        return None
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else None


def parse_time(value: Any) -> datetime:
    """A record's time (datetime, or ISO-8601 text with up to 7 fraction digits) -> aware UTC."""
    return _time(value)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str) and value:
        text = value.strip().replace("Z", "+00:00")
        head, dot, tail = text.partition(".")
        if dot:  # fromisoformat in 3.11 takes 3 or 6 fraction digits; KQL gives up to 7
            digits = "".join(c for c in tail if c.isdigit())
            text = f"{head}.{(digits + '000000')[:6]}{tail[len(digits) :]}"
        try:
            when = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"time {value!r} is not ISO-8601") from exc
    else:
        raise ValueError(f"time is missing or not a timestamp: {value!r}")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _float(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text or None
