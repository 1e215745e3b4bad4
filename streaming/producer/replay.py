"""Replay events from a file: JSON lines (`.jsonl`, `.json`), a JSON array, or Parquet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streaming.producer.sender import ProduceError


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Yield each record of `path` as a dict; errors name the file and line."""
    if not path.is_file():
        raise ProduceError(f"{path}: no such file")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise ProduceError(f"{path}: not a Parquet file: {exc}") from exc
        for batch in table.to_batches(max_chunksize=10_000):
            yield from (_jsonable(row) for row in batch.to_pylist())
        return
    with path.open(encoding="utf-8") as handle:
        first = handle.read(1)
        handle.seek(0)
        if first == "[":
            try:
                records = json.load(handle)
            except json.JSONDecodeError as exc:
                raise ProduceError(f"{path}: line {exc.lineno}: not JSON: {exc.msg}") from exc
            yield from (_record(r, path, i + 1) for i, r in enumerate(records))
            return
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield _record(json.loads(line), path, number)
                except json.JSONDecodeError as exc:
                    raise ProduceError(f"{path}: line {number}: not JSON: {exc.msg}") from exc


def _record(value: Any, path: Path, number: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProduceError(f"{path}: record {number}: expected a JSON object, got {type(value).__name__}")
    return value


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """Parquet timestamps -> ISO strings; everything else is already JSON-friendly."""
    out = {}
    for key, value in row.items():
        out[key] = value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else value
    return out
