"""The stable Parquet schema of exported inference records, derived from the data contract (pure)."""

from __future__ import annotations

import pyarrow as pa

from environments.data_schema import DataSchema
from export.errors import ExportConfigError

# Feature types of the data contract -> Arrow types of their columns.
FEATURE_TYPES: dict[str, pa.DataType] = {
    "float": pa.float64(),
    "integer": pa.int64(),
    "count": pa.int64(),
    "boolean": pa.bool_(),
    "category": pa.string(),
}
LEADING = [
    pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("request_id", pa.string(), nullable=False),
    pa.field("model_name", pa.string(), nullable=False),
    pa.field("model_version", pa.string(), nullable=False),
    pa.field("deployment", pa.string()),
]
TRAILING = [
    pa.field("score", pa.float64()),
    pa.field("error", pa.string()),
    pa.field("latency_ms", pa.float64()),
]


def export_schema(data_schema: DataSchema) -> pa.Schema:
    """time, request_id, model_name, model_version, deployment, <features in contract order>, score,
    error, latency_ms."""
    reserved = {field.name for field in LEADING + TRAILING}
    clashes = sorted(reserved.intersection(data_schema.feature_names))
    if clashes:
        raise ExportConfigError(
            f"data schema {data_schema.name}: features named like export columns: {clashes}"
        )
    features = [pa.field(f.name, FEATURE_TYPES[f.type]) for f in data_schema.features]
    return pa.schema(LEADING + features + TRAILING)
