"""Built-in scalar functions the local engine supports (a documented subset of the service's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _coalesce(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _nullif(left: Any, right: Any) -> Any:
    return None if left is not None and left == right else left


def _abs(value: Any) -> Any:
    return None if value is None else abs(value)


def _round(value: Any, digits: Any = 0) -> Any:
    return None if value is None or digits is None else round(value, int(digits))


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else None


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else None


def _len(value: Any) -> Any:
    return len(value) if isinstance(value, str) else None


def _concat(*values: Any) -> str:
    return "".join("" if v is None else str(v) for v in values)


SCALARS: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name: (implementation, fewest arguments, most arguments)
    "coalesce": (_coalesce, 1, 64),
    "nullif": (_nullif, 2, 2),
    "abs": (_abs, 1, 1),
    "round": (_round, 1, 2),
    "lower": (_lower, 1, 1),
    "upper": (_upper, 1, 1),
    "len": (_len, 1, 1),
    "concat": (_concat, 1, 64),
}
AGGREGATES = ("count", "sum", "avg", "min", "max")
