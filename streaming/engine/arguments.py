"""Argument checks shared by the built-in scalar functions (`scalars.py`, `string_functions.py`): a
value of the wrong type raises TypeError naming the function, which the caller reports with the call's
position (the service fails on such a call; nothing is converted silently)."""

from __future__ import annotations

from typing import Any


def text_argument(value: Any, function: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{function}() needs text, got {value!r}")
    return value


def whole_argument(value: Any, function: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{function}() needs a number, got {value!r}")
    return int(value)
