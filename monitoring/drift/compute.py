"""Every drift metric of every feature for two Arrow tables: the pure core behind the CLI and pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from environments.data_schema import DataSchema, Feature
from monitoring.drift.categorical import categorical_drift
from monitoring.drift.columns import (
    ColumnQuality,
    boolean_counts,
    category_counts,
    known_categories,
    numeric_values,
)
from monitoring.drift.errors import DriftInputError
from monitoring.drift.numeric import numeric_drift, sample_from_values
from monitoring.drift.records import DEFAULT_THRESHOLDS, DriftRecord, Kind, judged

PREDICTION_COLUMN = "score"
"""The model output in the inference data; drift on it is prediction drift."""

MAX_INFERRED_CATEGORIES = 100
"""Without a schema, text columns with more distinct values than this are identifiers, not features."""

FeatureKind = Literal["numeric", "categorical", "boolean"]


@dataclass(frozen=True)
class FeatureSpec:
    """How one column is compared: its kind, its schema entry (if any) and its category buckets."""

    name: str
    kind: FeatureKind
    feature: Feature | None = None
    categories: tuple[str, ...] = ()


def specs_from_schema(schema: DataSchema) -> list[FeatureSpec]:
    """One spec per schema feature."""
    specs = []
    for feature in schema.features:
        if feature.is_numeric:
            specs.append(FeatureSpec(feature.name, "numeric", feature))
        elif feature.type == "boolean":
            specs.append(FeatureSpec(feature.name, "boolean", feature))
        else:
            specs.append(FeatureSpec(feature.name, "categorical", feature, tuple(feature.categories or ())))
    return specs


def specs_from_table(reference: pa.Table, current: pa.Table) -> list[FeatureSpec]:
    """Specs inferred from the reference's Arrow types for the columns both tables share."""
    specs = []
    for field in reference.schema:
        if field.name not in current.column_names or field.name == PREDICTION_COLUMN:
            continue
        kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
        if pa.types.is_boolean(kind):
            specs.append(FeatureSpec(field.name, "boolean"))
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
            specs.append(FeatureSpec(field.name, "numeric"))
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            categories = known_categories(reference.column(field.name))
            if len(categories) <= MAX_INFERRED_CATEGORIES:
                specs.append(FeatureSpec(field.name, "categorical", categories=tuple(categories)))
    return specs


def _column(table: pa.Table, name: str, role: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise DriftInputError(
            f"{role} data has no column {name!r} (columns: {', '.join(table.column_names)})"
        )
    return table.column(name)


def _quality_records(
    name: str, reference: ColumnQuality, current: ColumnQuality, thresholds: Mapping[str, float]
) -> list[DriftRecord]:
    """Data-quality rates of the current data; drift when a rate exceeds the baseline's plus the allowance."""
    allowance = thresholds.get("data_quality_allowance", DEFAULT_THRESHOLDS["data_quality_allowance"])
    records = []
    for metric, field in (
        ("null_value_rate", "nulls"),
        ("data_type_error_rate", "type_errors"),
        ("out_of_bounds_rate", "out_of_bounds"),
    ):
        value = current.rate(getattr(current, field))
        threshold = reference.rate(getattr(reference, field)) + allowance
        records.append(DriftRecord(name, metric, value, threshold, value > threshold, "data_quality"))
    return records


def _numeric_records(
    spec: FeatureSpec,
    reference: pa.ChunkedArray,
    current: pa.ChunkedArray,
    thresholds: Mapping[str, float],
    kind: Kind,
) -> tuple[list[DriftRecord], tuple[ColumnQuality, ColumnQuality]]:
    ref_values, ref_integral, ref_quality = numeric_values(reference, spec.feature)
    cur_values, cur_integral, quality = numeric_values(current, spec.feature)
    if ref_values.size == 0 or cur_values.size == 0:
        return [], (ref_quality, quality)
    drift = numeric_drift(
        sample_from_values(ref_values, ref_integral and cur_integral),
        sample_from_values(cur_values, ref_integral and cur_integral),
    )
    t = dict(thresholds)
    records = [
        judged(spec.name, "normalized_wasserstein_distance", drift.normalized_wasserstein_distance, kind, t),
        judged(spec.name, "jensen_shannon_distance", drift.jensen_shannon_distance, kind, t),
        judged(spec.name, "population_stability_index", drift.population_stability_index, kind, t),
        judged(
            spec.name,
            "two_sample_kolmogorov_smirnov_test",
            drift.ks_pvalue,
            kind,
            t,
            statistic=drift.ks_statistic,
        ),
    ]
    return records, (ref_quality, quality)


def _categorical_records(
    spec: FeatureSpec, reference: pa.ChunkedArray, current: pa.ChunkedArray, thresholds: Mapping[str, float]
) -> tuple[list[DriftRecord], tuple[ColumnQuality, ColumnQuality]]:
    if spec.kind == "boolean":
        ref_counts, ref_quality = boolean_counts(reference)
        cur_counts, quality = boolean_counts(current)
    else:
        ref_counts, ref_quality = category_counts(reference, list(spec.categories))
        cur_counts, quality = category_counts(current, list(spec.categories))
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return [], (ref_quality, quality)
    drift = categorical_drift(ref_counts, cur_counts)
    t = dict(thresholds)
    records = [
        judged(spec.name, "jensen_shannon_distance", drift.jensen_shannon_distance, "categorical", t),
        judged(spec.name, "population_stability_index", drift.population_stability_index, "categorical", t),
        judged(
            spec.name,
            "pearsons_chi_squared_test",
            drift.chi_squared_pvalue,
            "categorical",
            t,
            statistic=drift.chi_squared_statistic,
        ),
    ]
    return records, (ref_quality, quality)


def compute_drift(
    reference: pa.Table,
    current: pa.Table,
    schema: DataSchema | None = None,
    thresholds: Mapping[str, float] = DEFAULT_THRESHOLDS,
) -> list[DriftRecord]:
    """Data drift per feature, prediction drift on the score, and data-quality rates of the current data.

    Thresholds are `env.monitoring.drift` (`model_dump()`); distances drift above, p-values below theirs.
    """
    specs = specs_from_schema(schema) if schema is not None else specs_from_table(reference, current)
    records: list[DriftRecord] = []
    for spec in specs:
        ref_column = _column(reference, spec.name, "reference")
        cur_column = _column(current, spec.name, "current")
        if spec.kind == "numeric":
            drift, (ref_quality, quality) = _numeric_records(
                spec, ref_column, cur_column, thresholds, "numeric"
            )
        else:
            drift, (ref_quality, quality) = _categorical_records(spec, ref_column, cur_column, thresholds)
        records.extend(drift)
        records.extend(_quality_records(spec.name, ref_quality, quality, thresholds))
    if PREDICTION_COLUMN in reference.column_names and PREDICTION_COLUMN in current.column_names:
        spec = FeatureSpec(PREDICTION_COLUMN, "numeric")
        drift, _ = _numeric_records(
            spec,
            reference.column(PREDICTION_COLUMN),
            current.column(PREDICTION_COLUMN),
            thresholds,
            "prediction",
        )
        records.extend(drift)
    return records


def drifted_features(records: list[DriftRecord]) -> set[str]:
    """Names of the features where at least one metric drifted."""
    return {r.feature for r in records if r.drifted}


__all__ = ["PREDICTION_COLUMN", "FeatureSpec", "compute_drift", "drifted_features"]
