"""Query-string parameters -> ItemQuery, with errors naming the parameter (pure logic)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .errors import QueryError
from .store import ItemQuery
from .timestamps import parse_timestamp

KNOWN = frozenset({"type", "name", "from", "to", "limit"})
DIMENSION_PREFIX = "dim."


def parse_params(params: Mapping[str, Sequence[str]], **fixed: str) -> ItemQuery:
    """`type`, `name`, `from`, `to` (ISO-8601, half-open), `limit`, `dim.<key>=<value>` (repeatable keys;
    an empty value matches the dimension absent or empty, as KQL's `isempty`)."""
    single: dict[str, str] = {}
    dimensions: dict[str, str] = {}
    for key, values in params.items():
        if len(values) != 1:
            raise QueryError(f"parameter {key!r} given {len(values)} times")
        if key.startswith(DIMENSION_PREFIX) and len(key) > len(DIMENSION_PREFIX):
            dimensions[key[len(DIMENSION_PREFIX) :]] = values[0]
        elif key in KNOWN:
            single[key] = values[0]
        else:
            raise QueryError(f"unknown parameter {key!r}; known: {', '.join(sorted(KNOWN))}, dim.<key>")
    for key in fixed:
        if key in single and single[key] != fixed[key]:
            raise QueryError(f"parameter {key!r} is fixed to {fixed[key]!r} on this route")
    merged = {**single, **fixed}
    query = ItemQuery(
        type=merged.get("type"),
        name=merged.get("name"),
        from_us=_time(merged, "from"),
        to_us=_time(merged, "to"),
        dimensions=dimensions,
        limit=_limit(merged.get("limit")),
    )
    if query.from_us is not None and query.to_us is not None and query.from_us > query.to_us:
        raise QueryError(f"'from' {merged['from']} is after 'to' {merged['to']}")
    return query


def _time(params: Mapping[str, str], key: str) -> int | None:
    if key not in params:
        return None
    try:
        return parse_timestamp(params[key])
    except (ValueError, TypeError) as exc:
        raise QueryError(f"parameter {key!r}={params[key]!r} is not an ISO-8601 timestamp") from exc


def _limit(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise QueryError(f"parameter 'limit'={text!r} is not a positive integer")
    return int(text)
