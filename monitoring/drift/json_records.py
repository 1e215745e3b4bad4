"""The Logic App's hourly export (`{yyyy}/{MM}/{dd}/{HH}/records.json`) as the Parquet layout's columns.

The export Logic App of earlier versions (replaced by the scheduled Azure ML export, decision 0016; hours
it wrote stay readable) wrote the rows of
`export/queries/inference_records.kql` as a JSON array of objects: `time` (ISO-8601 text, up to 7
fraction digits), `request_id`, `model_name`, `model_version`, `deployment`, `features` (the logged
features as a JSON object in a string; an object is accepted too), `score`, `error` (empty text for
none), `latency_ms`. A body still wrapped as the connector returns it (`{"value": [...]}`) is accepted.

The result has the Parquet export's columns and types (`export/README.md`): `time` as timestamp[us, UTC],
text as dictionary-encoded strings (as `files.read_table` reads Parquet), one column per schema feature
(float -> float64, integer/count -> int64, boolean -> bool, category -> string). A feature column whose
values do not fit its type stays a column of text (integer columns with fractions stay float64), so the
data-quality metrics count the misfits as type errors instead of losing them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from environments.data_schema import DataSchema, Feature
from environments.inference_log import parse_features
from monitoring.drift.errors import DriftInputError

TEXT_COLUMNS = ("request_id", "model_name", "model_version", "deployment")
TRAILING_NUMBERS = ("score", "latency_ms")


def read_records_json(path: Path, schema: DataSchema) -> pa.Table:
    """One hour's `records.json` as an Arrow table with the Parquet export's columns."""
    records = _records(path)
    try:
        features = [parse_features(record.get("features")) for record in records]
    except ValueError as exc:
        raise DriftInputError(f"{path}: {exc}") from exc
    columns: dict[str, pa.Array] = {"time": _times(path, [r.get("time") for r in records])}
    for name in TEXT_COLUMNS:
        columns[name] = _text([r.get(name) for r in records])
    for feature in schema.features:
        columns[feature.name] = _feature_array(feature, [f.get(feature.name) for f in features])
    for name in TRAILING_NUMBERS:
        columns[name] = _numbers(path, name, [r.get(name) for r in records])
    columns["error"] = _text([r.get("error") for r in records])
    trailing = ["score", "error", "latency_ms"]
    order = ["time", *TEXT_COLUMNS, *schema.feature_names, *trailing]
    return pa.table({name: columns[name] for name in order})


def _records(path: Path) -> list[dict[str, Any]]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DriftInputError(f"{path}: cannot read as JSON records: {exc}") from exc
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        body = body["value"]
    if not isinstance(body, list):
        raise DriftInputError(f"{path}: expected a JSON array of records, got {type(body).__name__}")
    for index, record in enumerate(body):
        if not isinstance(record, dict):
            raise DriftInputError(f"{path}: record {index} is {type(record).__name__}, expected an object")
    return body


def _times(path: Path, values: list[Any]) -> pa.Array:
    missing = [i for i, v in enumerate(values) if not isinstance(v, str) or not v]
    if missing:
        raise DriftInputError(f"{path}: record {missing[0]} has no time (text), got {values[missing[0]]!r}")
    try:
        times = pd.to_datetime(pd.Series(values), utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise DriftInputError(f"{path}: column 'time': not ISO-8601: {exc}") from exc
    utc = times.dt.tz_convert(None).dt.floor("us").to_numpy(dtype="datetime64[us]")
    return pa.array(utc).cast(pa.timestamp("us", tz="UTC"))


def _text(values: list[Any]) -> pa.Array:
    """Text as a dictionary column; the KQL's empty text for a missing value becomes null."""
    texts = [None if v is None or v == "" else v if isinstance(v, str) else json.dumps(v) for v in values]
    return pa.array(texts, type=pa.string()).dictionary_encode()


def _numbers(path: Path, name: str, values: list[Any]) -> pa.Array:
    try:
        return pa.array(values, type=pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DriftInputError(f"{path}: column {name!r}: not a number: {exc}") from exc


def _feature_array(feature: Feature, values: list[Any]) -> pa.Array:
    """A feature column in its contract type, or as text when some values do not fit it."""
    try:
        if feature.type == "category":
            return pa.array(values, type=pa.string()).dictionary_encode()
        if feature.type == "boolean":
            return pa.array(values, type=pa.bool_())
        if any(isinstance(v, bool) for v in values):
            raise pa.ArrowTypeError("a boolean where a number belongs")
        numbers = pa.array(values, type=pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _text(values)
    if feature.type in ("integer", "count"):
        present = numbers.drop_null().to_numpy()
        if np.isfinite(present).all() and (present == np.round(present)).all():
            return numbers.cast(pa.int64())
    return numbers
