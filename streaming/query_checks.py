"""The query's per-field checks and the rejection each one writes (the dead-letter `rejection` text).

The query template (`scoring.asaql.j2`) places these values; the generated query tests
(`streaming.query_test_cases`) expect the same texts: one owner for the wording of every check.
"""

from __future__ import annotations

from dataclasses import dataclass

from environments.data_schema import DataSchema, Feature

CAST_TYPES = {
    "float": "float",
    "integer": "bigint",
    "count": "bigint",
    "boolean": "bit",
    "category": "nvarchar(max)",
}
"""Stream Analytics type each feature type is read as (`TRY_CAST(field AS type)`)."""

_TYPE_WORDS = {
    "float": "a number",
    "integer": "an integer",
    "count": "a count",
    "boolean": "a boolean",
    "category": "a string",
}


@dataclass(frozen=True)
class FieldChecks:
    """The checks of one feature, in the order the query applies them; None where a check does not apply."""

    name: str
    cast_type: str
    missing: str
    not_of_type: str
    not_whole: str | None
    low: str | None
    """The lower bound as a query literal (integers for integral features)."""
    high: str | None
    out_of_range: str | None
    categories: tuple[str, ...]
    unknown_category: str | None


def id_missing(schema: DataSchema) -> str:
    """The rejection of an event without its id."""
    return f"{schema.id_column}: missing"


def bounds(feature: Feature) -> tuple[float, float] | None:
    """A numeric feature's allowed range as the query compares it (whole bounds for integral features)."""
    if not feature.is_numeric or feature.min is None or feature.max is None:
        return None
    if feature.type == "float":
        return feature.min, feature.max
    return float(int(feature.min)), float(int(feature.max))


def _literal(value: float, feature: Feature) -> str:
    return repr(float(value)) if feature.type == "float" else str(int(value))


def field_checks(feature: Feature) -> FieldChecks:
    """The checks the query makes on `feature` and the rejection text of each."""
    name = feature.name
    limits = bounds(feature)
    low = _literal(limits[0], feature) if limits else None
    high = _literal(limits[1], feature) if limits else None
    return FieldChecks(
        name=name,
        cast_type=CAST_TYPES[feature.type],
        missing=f"{name}: missing",
        not_of_type=f"{name}: not {_TYPE_WORDS[feature.type]}",
        not_whole=f"{name}: not a whole number" if feature.type in ("integer", "count") else None,
        low=low,
        high=high,
        out_of_range=f"{name}: out of range [{low}, {high}]" if limits else None,
        categories=feature.categories or (),
        unknown_category=f"{name}: unknown category" if feature.type == "category" else None,
    )


def schema_checks(schema: DataSchema) -> list[FieldChecks]:
    """Every feature's checks, in schema order (the order the query tests them)."""
    return [field_checks(feature) for feature in schema.features]
