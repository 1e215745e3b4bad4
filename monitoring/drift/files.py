"""Reading data sets (Parquet, CSV) and writing drift records as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from monitoring.drift.errors import DriftInputError
from monitoring.drift.records import DriftRecord


def _text_columns(path: Path) -> list[str]:
    """Text columns of a Parquet file or folder (read as dictionaries: counting then uses codes, not strings)."""
    dataset = pq.ParquetDataset(path)
    return [f.name for f in dataset.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]


def read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A Parquet file or folder of Parquet files, or a CSV file, as an Arrow table; text as dictionaries."""
    try:
        if path.suffix.lower() == ".csv":
            table = pacsv.read_csv(path)
            return table.select(columns) if columns else table
        return pq.read_table(path, columns=columns, read_dictionary=_text_columns(path))
    except (OSError, pa.ArrowException, KeyError) as exc:
        raise DriftInputError(f"{path}: cannot read as a data set: {exc}") from exc


def write_records(records: Iterable[DriftRecord], path: Path) -> None:
    """Write the records as one JSON list (one object per feature and metric)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = [r.to_json() for r in records]
    path.write_text(json.dumps(payload, indent=1, allow_nan=False) + "\n", encoding="utf-8")
