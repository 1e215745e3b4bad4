"""Stream Analytics-shaped request bodies built from generated transactions (smoke tests, benchmarks)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from environments.data_schema import DataSchema
from ml.data.generator import generate


def records(frame: pd.DataFrame, schema: DataSchema) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (id, event time as ISO-8601 UTC, features; no label), like Stream Analytics sends."""
    columns = [schema.id_column, schema.time_column, *schema.feature_names]
    selected = frame[columns].copy()
    selected[schema.time_column] = pd.to_datetime(selected[schema.time_column], utc=True).dt.strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    plain = selected.astype(object).where(selected.notna(), None)
    return [
        {key: (value.item() if hasattr(value, "item") else value) for key, value in row.items()}
        for row in plain.to_dict("records")
    ]


def stream_batch(schema: DataSchema, rows: int, seed: int) -> list[dict[str, Any]]:
    """`rows` generated transactions as request records."""
    return records(generate(schema, rows, seed), schema)


def request_body(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The body Stream Analytics posts: `{"Inputs": {"data": rows}}`."""
    return {"Inputs": {"data": rows}}
