"""Vectorised validation of a scoring batch against the schema: one column at a time, no per-row logic.

Each feature column is gathered once from the records and checked with numpy masks (type, missing,
NaN, range, whole number, known category). Only rows that fail get a Python-level look, to write an
error that names the field and the reason; a clean batch never takes that path.

Accepted values: numbers for `float`, whole numbers for `integer` and `count` (3.0 counts as 3),
`true`/`false` or 0/1 for `boolean` (Stream Analytics sends `bit` columns as 0/1), one of the listed
strings for `category`. Fields that are not features (the id, the event time) are ignored here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from ml.scoring.feature_schema import ScoringFeature, ScoringSchema

_NUMBER_TYPES = frozenset({int, float})
_NUMBER_OR_NULL = frozenset({int, float, type(None)})
_STRING_OR_NULL = frozenset({str, type(None)})
_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    type(None): "null",
}


@dataclass(frozen=True)
class ValidatedBatch:
    """The model input for the valid rows, which rows those are, and an error (or None) per row."""

    features: pd.DataFrame
    valid: np.ndarray
    errors: list[str | None]

    @property
    def all_valid(self) -> bool:
        return bool(self.valid.all())


def validate_rows(rows: Sequence[Any], schema: ScoringSchema) -> ValidatedBatch:
    """Check every row of a batch; the rows that pass become the model's input frame, in order."""
    count = len(rows)
    records, not_object = _records(rows)
    columns: dict[str, np.ndarray] = {}
    invalid: dict[str, np.ndarray] = {}
    for feature in schema.features:
        values = _gather(records, feature.name)
        columns[feature.name], invalid[feature.name] = _check_column(feature, values)
    row_invalid = not_object.copy()
    for mask in invalid.values():
        row_invalid |= mask
    valid = ~row_invalid
    errors: list[str | None] = [None] * count
    for index in np.flatnonzero(row_invalid).tolist():
        errors[index] = _row_error(rows[index], schema, invalid, index)
    if row_invalid.any():
        columns = {name: column[valid] for name, column in columns.items()}
    # Series with explicit dtypes: pandas would otherwise scan text columns to infer a string dtype.
    frame = pd.DataFrame(
        {name: pd.Series(column, dtype=column.dtype, copy=False) for name, column in columns.items()}
    )
    return ValidatedBatch(features=frame, valid=valid, errors=errors)


def _records(rows: Sequence[Any]) -> tuple[Sequence[dict[str, Any]], np.ndarray]:
    """The rows as mappings (a non-object row reads as empty) and a mask of the non-object rows."""
    if set(map(type, rows)) <= {dict}:
        return rows, np.zeros(len(rows), dtype=bool)
    not_object = np.fromiter((type(row) is not dict for row in rows), dtype=bool, count=len(rows))
    return [row if type(row) is dict else {} for row in rows], not_object


def _gather(records: Sequence[dict[str, Any]], name: str) -> list[Any]:
    """One column of the batch; the C-level `map` keeps Python out of the per-row work."""
    try:
        return list(map(itemgetter(name), records))
    except KeyError:  # a row lacks the field: read it as null, the error is written later
        return [record.get(name) for record in records]


def _check_column(feature: ScoringFeature, values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The column as the model wants it (float64, or object for categories) and its invalid mask."""
    kinds = set(map(type, values))
    if feature.type == "category":
        return _check_category(feature, values, kinds)
    if feature.type == "boolean":
        return _check_boolean(values, kinds)
    return _check_number(feature, values, kinds)


def _check_number(
    feature: ScoringFeature, values: list[Any], kinds: set[type]
) -> tuple[np.ndarray, np.ndarray]:
    column: np.ndarray | None = None
    if kinds <= _NUMBER_OR_NULL:
        try:
            column = np.array(values, dtype=np.float64)  # None -> NaN
        except OverflowError:
            column = None  # an integer too large for a double: take the careful path below
    if column is None:
        column = np.array([_as_float(value) for value in values], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        invalid = np.isnan(column) | (column < feature.min) | (column > feature.max)
        if feature.is_integral:
            invalid |= column != np.floor(column)
    return column, invalid


def _as_float(value: Any) -> float:
    if type(value) not in _NUMBER_TYPES:
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _check_boolean(values: list[Any], kinds: set[type]) -> tuple[np.ndarray, np.ndarray]:
    if kinds <= {bool}:
        return np.array(values, dtype=np.float64), np.zeros(len(values), dtype=bool)
    column = np.array([_as_bit(value) for value in values], dtype=np.float64)
    return column, np.isnan(column)


def _as_bit(value: Any) -> float:
    if type(value) is bool or (type(value) is int and value in (0, 1)):
        return float(value)
    return math.nan


def _check_category(
    feature: ScoringFeature, values: list[Any], kinds: set[type]
) -> tuple[np.ndarray, np.ndarray]:
    if not kinds <= _STRING_OR_NULL:
        values = [value if type(value) is str else None for value in values]
    column = np.array(values, dtype=object)
    invalid = pd.Index(feature.categories).get_indexer(column) < 0
    return column, invalid


def _row_error(row: Any, schema: ScoringSchema, invalid: dict[str, np.ndarray], index: int) -> str:
    """The message for one failed row: every failing field with its reason, in schema order."""
    if type(row) is not dict:
        return f"row {index}: expected an object of features, got {_json_type(row)}"
    reasons = [
        f"{feature.name}: {_reason(feature, row)}"
        for feature in schema.features
        if invalid[feature.name][index]
    ]
    return "; ".join(reasons)


def _reason(feature: ScoringFeature, row: dict[str, Any]) -> str:
    if feature.name not in row:
        return "missing"
    value = row[feature.name]
    if value is None:
        return "null"
    if feature.type == "category":
        if type(value) is not str:
            return f"expected a string, got {_json_type(value)}"
        return f"unknown category {value!r} (known: {', '.join(feature.categories)})"
    if feature.type == "boolean":
        return f"expected true/false or 0/1, got {_json_type(value)}"
    if type(value) not in _NUMBER_TYPES:
        return f"expected a number, got {_json_type(value)}"
    number = _as_float(value)
    if math.isnan(number):
        return "NaN"
    if not feature.min <= number <= feature.max:  # type: ignore[operator]
        return f"{value!r} is out of range [{feature.min:g}, {feature.max:g}]"
    return f"{value!r} is not a whole number"


def _json_type(value: Any) -> str:
    if type(value) in _NUMBER_TYPES:
        return f"the number {value!r}"
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
