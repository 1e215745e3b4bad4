"""Arrow columns -> the arrays the metrics need, with the data-quality counts found on the way.

Values that are null, not of the declared type, or not finite leave the drift sample and are counted
instead: ``nulls`` (null or NaN), ``type_errors`` (a string that is not a number, a non-integral value for
an ``integer``/``count`` feature, a non-boolean value, a non-string category) and ``out_of_bounds``
(a number outside the schema's ``[min, max]``, a category outside the closed list; still part of the
drift sample). Categories are counted through Arrow dictionary codes, never Python strings per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from environments.data_schema import Feature


@dataclass(frozen=True)
class ColumnQuality:
    """Counts of one column's values that are null, of the wrong type, or outside the schema."""

    rows: int
    nulls: int = 0
    type_errors: int = 0
    out_of_bounds: int = 0

    def rate(self, count: int) -> float:
        return count / self.rows if self.rows else 0.0


def numeric_values(
    column: pa.ChunkedArray, feature: Feature | None
) -> tuple[np.ndarray, bool, ColumnQuality]:
    """Finite values of a numeric column, whether they are all integral, and the quality counts."""
    rows = len(column)
    nulls = column.null_count
    type_errors = 0
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        # A text column where numbers belong: parse each value (rare, so plain Python is fine here).
        texts = column.drop_null().to_pylist()
        numbers = np.array([_parse_float(t) for t in texts], dtype=np.float64)
        type_errors = int(np.isnan(numbers).sum())
        values = numbers[~np.isnan(numbers)]
    elif (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_boolean(column.type)
    ):
        values = column.drop_null().to_numpy()
        if values.dtype == np.bool_:
            values = values.astype(np.int64)
    else:
        type_errors = rows - nulls
        values = np.empty(0, dtype=np.float64)
    integral = values.dtype.kind in "iu"
    if values.dtype.kind == "f":
        finite = np.isfinite(values)
        if not finite.all():
            nulls += int(np.isnan(values).sum())
            type_errors += int((~finite & ~np.isnan(values)).sum())
            values = values[finite]
    if feature is not None and feature.type in ("integer", "count") and not integral:
        whole = values == np.floor(values)
        if not whole.all():
            type_errors += int((~whole).sum())
            values = values[whole]
        integral = True
    out_of_bounds = 0
    low, high = (feature.min, feature.max) if feature is not None else (None, None)
    # Two reductions first: the masks below are built only when some value is outside.
    if low is not None and high is not None and values.size and (values.min() < low or values.max() > high):
        out_of_bounds = int(np.count_nonzero((values < low) | (values > high)))
    return values, integral, ColumnQuality(rows, nulls, type_errors, out_of_bounds)


def _parse_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def known_categories(column: pa.ChunkedArray) -> list[str]:
    """Distinct non-null string values of a column, sorted (the buckets when no schema lists them)."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())
    return sorted(pc.unique(column.drop_null()).to_pylist())


def category_counts(column: pa.ChunkedArray, categories: list[str]) -> tuple[np.ndarray, ColumnQuality]:
    """Counts over ``categories`` plus a last bucket of values outside them, and the quality counts."""
    rows = len(column)
    value_set = pa.array(categories, type=pa.string())
    size = len(categories)
    counts = np.zeros(size + 1, dtype=np.int64)
    type_errors = 0
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            dictionary = chunk.dictionary
            if not pa.types.is_string(dictionary.type) and not pa.types.is_large_string(dictionary.type):
                type_errors += len(chunk) - chunk.null_count
                continue
            dictionary_codes = pc.fill_null(pc.index_in(dictionary, value_set=value_set), size).to_numpy()
            indices = chunk.indices.drop_null().to_numpy() if chunk.null_count else chunk.indices.to_numpy()
            codes = dictionary_codes[indices]
        elif pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
            codes = pc.fill_null(pc.index_in(chunk.drop_null(), value_set=value_set), size).to_numpy()
        else:
            type_errors += len(chunk) - chunk.null_count
            continue
        counts += np.bincount(codes, minlength=size + 1)
    quality = ColumnQuality(rows, column.null_count, type_errors, int(counts[size]))
    return counts, quality


def boolean_counts(column: pa.ChunkedArray) -> tuple[np.ndarray, ColumnQuality]:
    """Counts of ``false`` and ``true`` (no unseen bucket: a non-boolean is a type error)."""
    rows = len(column)
    if pa.types.is_boolean(column.type):
        valid = rows - column.null_count
        trues = int(pc.sum(column).as_py() or 0)
        return np.array([valid - trues, trues, 0], dtype=np.int64), ColumnQuality(rows, column.null_count)
    if pa.types.is_integer(column.type):
        values = column.drop_null().to_numpy()
        good = (values == 0) | (values == 1)
        trues = int(np.count_nonzero(values == 1))
        counts = np.array([int(good.sum()) - trues, trues, 0], dtype=np.int64)
        return counts, ColumnQuality(rows, column.null_count, int((~good).sum()))
    counts, quality = category_counts(column, ["false", "true"])
    return counts, ColumnQuality(rows, quality.nulls, quality.type_errors + quality.out_of_bounds)
