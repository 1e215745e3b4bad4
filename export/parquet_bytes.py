"""Deterministic Parquet bytes: fixed writer options, no timestamps in metadata (pure)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

WRITER_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_size": 1 << 20,
    "row_group_size": 1 << 20,
    "store_schema": True,
}


def parquet_bytes(rows: list[dict[str, Any]], schema: pa.Schema) -> bytes:
    """Rows (already in their stable order) -> Parquet file bytes; same rows give the same bytes."""
    table = pa.Table.from_pylist(rows, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **WRITER_OPTIONS)
    return sink.getvalue().to_pybytes()
