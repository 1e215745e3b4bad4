"""Reference data files (a blob of a reference input, or a query test's local file) to rows (pure).

Stream Analytics reads blob reference data as JSON or CSV, UTF-8 only ("Use reference data for lookups in
Stream Analytics", Configure blob reference data: "For reference data, the supported formats are CSV and
JSON"; "UTF-8 is the only supported encoding format"; no compression). JSON: an array of objects or one
object per line. CSV: a header row naming the columns, then one row per record; every value is text
(convert with CAST in the query). A file that cannot be read this way fails with the file and the line;
an empty file fails too, since joining with nothing would drop (INNER) or null (LEFT) every event
silently.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

from streaming.errors import StreamingError

Format = Literal["Json", "Csv"]
FORMATS: tuple[Format, ...] = ("Json", "Csv")


class ReferenceDataError(StreamingError):
    """A reference data file that cannot be used; names the file (blob) and the line or row."""


def parse_reference(data: bytes, fmt: Format, source: str, delimiter: str = ",") -> list[dict[str, Any]]:
    """The rows of one reference data file; `source` names it in errors (blob name or path)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(f"{source}: not UTF-8 (byte {exc.start}): {exc.reason}") from exc
    if not text.strip():
        raise ReferenceDataError(f"{source}: empty; a reference input needs at least one row")
    if fmt == "Json":
        return _json_rows(text, source)
    if fmt == "Csv":
        return _csv_rows(text, source, delimiter)
    raise ReferenceDataError(f"{source}: format {fmt!r}; reference data is one of {list(FORMATS)}")


def _json_rows(text: str, source: str) -> list[dict[str, Any]]:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except ValueError as exc:
            raise ReferenceDataError(f"{source}: not a JSON array: {exc}") from exc
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise ReferenceDataError(f"{source}: element {number} is not a JSON object")
        return rows
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ReferenceDataError(f"{source}, line {number}: not JSON: {exc}") from exc
        if not isinstance(row, dict):
            raise ReferenceDataError(f"{source}, line {number}: not a JSON object")
        rows.append(row)
    return rows


def _csv_rows(text: str, source: str, delimiter: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        if not all(name.strip() for name in header) or len(set(header)) != len(header):
            raise ReferenceDataError(f"{source}, line 1: the header needs distinct, non-empty column names")
        rows = []
        for values in reader:
            if not values:
                continue
            if len(values) != len(header):
                raise ReferenceDataError(
                    f"{source}, line {reader.line_num}: {len(values)} values, the header has {len(header)}"
                )
            rows.append(dict(zip(header, values, strict=True)))
    except csv.Error as exc:
        raise ReferenceDataError(f"{source}, line {reader.line_num}: not CSV: {exc}") from exc
    if not rows:
        raise ReferenceDataError(f"{source}: a header and no rows; a reference input needs at least one row")
    return rows


MEGABYTE = 1024 * 1024
SIZE_LIMITS_BY_STREAMING_UNITS = ((6, 5 * 1024 * MEGABYTE), (3, 150 * MEGABYTE), (1, 50 * MEGABYTE))
"""The documented reference data sizes per job size ("Use reference data for lookups in Stream Analytics",
Size limitation: 1 SU 50 MB, 3 SU 150 MB, 6 and beyond 5 GB; under 300 MB for best performance)."""


def size_limit(streaming_units: int) -> int:
    """The largest reference data blob (bytes) a job of `streaming_units` is documented to load."""
    return next(limit for units, limit in SIZE_LIMITS_BY_STREAMING_UNITS if streaming_units >= units)
