"""Read a user's CSV, Parquet or JSON-lines file and check it against the data schema.

Every problem is collected before failing, so a user fixes a file in one pass; each names the file, the
column, the row (1-based data row; for CSV also the line, counting the header) and the reason.
Feature values may be missing (the model imputes them); ids, times and labels may not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from environments.data_schema import DataSchema, Feature
from ml.data.errors import DataFileError, DataValidationError

MAX_ROWS_PER_PROBLEM = 5
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
DTYPES = {
    "float": "float64",
    "integer": "Int64",
    "count": "Int64",
    "boolean": "boolean",
    "category": "object",
}


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (all columns as text), Parquet or JSON-lines file as a frame."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DataFileError(path, "no such file")
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix == ".jsonl":
            return pd.read_json(path, lines=True, dtype=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataFileError(path, f"cannot read as {suffix[1:]}: {exc}") from exc
    raise DataFileError(path, f"unsupported file type {suffix!r}: use .csv, .parquet or .jsonl")


class _Problems:
    """Collects problems, naming rows the way the user sees them in the file."""

    def __init__(self, path: Path, is_csv: bool) -> None:
        self.path = path
        self.is_csv = is_csv
        self.items: list[str] = []

    def rows(self, column: str, mask: np.ndarray, values: pd.Series, reason: str) -> None:
        positions = np.flatnonzero(mask)
        for position in positions[:MAX_ROWS_PER_PROBLEM]:
            where = f"row {position + 1}" + (f" (line {position + 2})" if self.is_csv else "")
            self.items.append(
                f"{self.path}: column {column}: {where}: {reason} (value {values.iloc[position]!r})"
            )
        if len(positions) > MAX_ROWS_PER_PROBLEM:
            more = len(positions) - MAX_ROWS_PER_PROBLEM
            self.items.append(f"{self.path}: column {column}: {more} more row(s): {reason}")

    def column(self, column: str, reason: str) -> None:
        self.items.append(f"{self.path}: column {column}: {reason}")


def _as_text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def _numeric(feature: Feature, values: pd.Series, problems: _Problems) -> pd.Series:
    parsed = pd.to_numeric(values, errors="coerce")
    present = values.notna().to_numpy()
    bad = present & parsed.isna().to_numpy()
    problems.rows(feature.name, bad, values, f"not a number ({feature.type})")
    numbers = parsed.to_numpy(dtype=float, na_value=np.nan)
    if feature.type in ("integer", "count"):
        fractional = present & ~bad & (np.floor(numbers) != numbers)
        problems.rows(feature.name, fractional, values, f"not a whole number ({feature.type})")
    out_of_range = present & ~bad & ((numbers < feature.min) | (numbers > feature.max))
    problems.rows(feature.name, out_of_range, values, f"outside [{feature.min:g}, {feature.max:g}]")
    return parsed


def _boolean(name: str, values: pd.Series, problems: _Problems, required: bool) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    text = _as_text(values).str.lower()
    known = text.isin(_TRUE | _FALSE).fillna(False).to_numpy(dtype=bool)
    missing = values.isna().to_numpy()
    problems.rows(name, ~known & ~missing, values, "not a boolean (true/false, 1/0, yes/no)")
    if required:
        problems.rows(name, missing, values, "missing value")
    return text.isin(_TRUE).astype("boolean").mask(missing | ~known)


def _category(feature: Feature, values: pd.Series, problems: _Problems) -> pd.Series:
    text = _as_text(values)
    allowed = set(feature.categories or ())
    unknown = (text.notna() & ~text.isin(allowed)).fillna(False).to_numpy(dtype=bool)
    problems.rows(feature.name, unknown, values, f"not one of the schema's categories {sorted(allowed)}")
    return text.astype(object).where(text.notna(), None)


def validate(frame: pd.DataFrame, schema: DataSchema, path: Path) -> pd.DataFrame:
    """The schema's columns, typed as the generator types them; raises with every problem found."""
    problems = _Problems(path, path.suffix.lower() == ".csv")
    required = [schema.id_column, schema.time_column, *schema.feature_names, schema.label]
    absent = [c for c in required if c not in frame.columns]
    if absent:
        raise DataValidationError(path, [f"{path}: missing column(s): {', '.join(absent)}"])
    if frame.empty:
        raise DataValidationError(path, [f"{path}: no rows"])
    out: dict[str, pd.Series] = {}
    ids = _as_text(frame[schema.id_column])
    problems.rows(schema.id_column, ids.isna().to_numpy(), ids, "missing id")
    problems.rows(schema.id_column, (ids.duplicated() & ids.notna()).to_numpy(), ids, "duplicate id")
    out[schema.id_column] = ids.fillna("").astype(str)
    times = pd.to_datetime(frame[schema.time_column], utc=True, errors="coerce", format="mixed")
    problems.rows(schema.time_column, times.isna().to_numpy(), frame[schema.time_column], "not a timestamp")
    out[schema.time_column] = times.dt.as_unit("ns")
    for feature in schema.features:
        values = frame[feature.name]
        if feature.is_numeric:
            out[feature.name] = _numeric(feature, values, problems)
        elif feature.type == "boolean":
            out[feature.name] = _boolean(feature.name, values, problems, required=False)
        else:
            out[feature.name] = _category(feature, values, problems)
    out[schema.label] = _boolean(schema.label, frame[schema.label], problems, required=True)
    if problems.items:
        raise DataValidationError(path, problems.items)
    typed = pd.DataFrame(out).astype({f.name: DTYPES[f.type] for f in schema.features})
    typed[schema.label] = typed[schema.label].astype(bool)
    return typed


def load(path: Path, schema: DataSchema) -> pd.DataFrame:
    """Read and validate a user's CSV or Parquet file."""
    return validate(read_table(path), schema, path)
