"""Input and expected-output files: a JSON array or line-separated JSON objects (what localrun writes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streaming.querytest.errors import QueryTestError


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records of a data file; a bad line is reported with its number."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise QueryTestError(f"{path}: cannot read: {exc}") from exc
    stripped = text.strip()
    if not stripped:
        return []
    if stripped.startswith("["):
        try:
            records = json.loads(stripped)
        except ValueError as exc:
            raise QueryTestError(f"{path}: not a JSON array: {exc}") from exc
    else:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError as exc:
                raise QueryTestError(f"{path}, line {number}: not a JSON object: {exc}") from exc
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise QueryTestError(f"{path}: record {index + 1} is not a JSON object")
    return records


def write_records(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
