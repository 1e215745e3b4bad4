"""Compare actual and expected output rows: as multisets, floats equal to a relative 1e-9."""

from __future__ import annotations

import math
from typing import Any

FLOAT_TOLERANCE = 1e-9


def values_equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected or (actual == expected and type(actual) is type(expected))
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return math.isclose(actual, expected, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(values_equal(actual[k], expected[k]) for k in actual)
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            values_equal(a, e) for a, e in zip(actual, expected, strict=True)
        )
    return actual == expected


def unmatched(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """(expected rows with no actual match, actual rows with no expected match); order is ignored."""
    remaining = list(actual)
    missing = []
    for row in expected:
        for index, candidate in enumerate(remaining):
            if values_equal(candidate, row):
                del remaining[index]
                break
        else:
            missing.append(row)
    return missing, remaining
