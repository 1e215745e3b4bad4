"""Built-in scalar functions the local engine supports (a documented subset of the service's).

Each takes and returns plain values (NULL is None) and returns NULL for a NULL argument; an argument of
the wrong type raises `TypeError`, which the evaluator reports with the call's line (never a silent
NULL). String functions follow the reference's "String Functions" pages (positions are 1-based, as
CHARINDEX, SUBSTRING and PATINDEX say); math functions the "Mathematical Functions" page; LIKE patterns
are T-SQL's (`%`, `_`, `[abc]`, `[^abc]`, `[a-f]`), matched case-sensitively.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from streaming.engine import dates, statistical_aggregates, string_functions
from streaming.engine.arguments import text_argument as _text
from streaming.engine.arguments import whole_argument as _whole
from streaming.engine.geospatial import GEOSPATIAL
from streaming.engine.values import record_property, type_name


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


def _number(value: Any, function: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{function}() needs a number, got {value!r}")
    return value


@lru_cache(maxsize=256)
def like_pattern(pattern: str) -> re.Pattern[str]:
    """A T-SQL LIKE pattern as a regular expression matching the whole text."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        elif char == "[" and "]" in pattern[index + 1 :]:
            end = pattern.index("]", index + 1)
            inner = pattern[index + 1 : end]
            negated = inner.startswith("^")
            body = re.escape(inner[1:] if negated else inner).replace("\\-", "-")
            parts.append(f"[{'^' if negated else ''}{body}]")
            index = end
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def like(value: Any, pattern: Any) -> bool | None:
    """`value LIKE pattern`; NULL when either is NULL."""
    if value is None or pattern is None:
        return None
    return like_pattern(_text(pattern, "LIKE")).fullmatch(_text(value, "LIKE")) is not None


def _substring(value: Any, start: Any, length: Any) -> Any:
    if value is None or start is None or length is None:
        return None
    text, first, count = _text(value, "SUBSTRING"), _whole(start, "SUBSTRING"), _whole(length, "SUBSTRING")
    if count < 0:
        raise TypeError(f"SUBSTRING() length must not be negative, got {count}")
    end = first + count - 1  # T-SQL: characters first..end, those before position 1 do not exist
    return text[max(first, 1) - 1 : max(end, 0)]


def _charindex(find: Any, search: Any, start: Any = None) -> Any:
    if find is None or search is None:
        return None
    begin = _whole(start, "CHARINDEX") if start is not None else 1
    found = _text(search, "CHARINDEX").find(_text(find, "CHARINDEX"), max(begin, 1) - 1)
    return found + 1


def _patindex(pattern: Any, value: Any) -> Any:
    if pattern is None or value is None:
        return None
    text = _text(value, "PATINDEX")
    regex = like_pattern(_text(pattern, "PATINDEX").strip("%"))
    found = regex.search(text)
    return found.start() + 1 if found else 0


def _replace(value: Any, old: Any, new: Any) -> Any:
    if value is None or old is None or new is None:
        return None
    return _text(value, "REPLACE").replace(_text(old, "REPLACE"), _text(new, "REPLACE"))


def _stripper(name: str, strip: Callable[[str], str]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else strip(_text(value, name))


def _left(value: Any, count: Any) -> Any:
    if value is None or count is None:
        return None
    return _text(value, "LEFT")[: max(_whole(count, "LEFT"), 0)]


def _right(value: Any, count: Any) -> Any:
    if value is None or count is None:
        return None
    text, size = _text(value, "RIGHT"), max(_whole(count, "RIGHT"), 0)
    return text[len(text) - size :] if size else ""


def _reverse(value: Any) -> Any:
    return None if value is None else _text(value, "REVERSE")[::-1]


def _replicate(value: Any, count: Any) -> Any:
    if value is None or count is None:
        return None
    times = _whole(count, "REPLICATE")
    return None if times < 0 else _text(value, "REPLICATE") * times


def _math(name: str, function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else function(_number(value, name))


def _same_type(function: Callable[[float], int]) -> Callable[[int | float], int | float]:
    """CEILING and FLOOR return the type of their argument."""
    return lambda value: value if isinstance(value, int) else float(function(value))


def _power(value: Any, exponent: Any) -> Any:
    if value is None or exponent is None:
        return None
    return float(_number(value, "POWER")) ** _number(exponent, "POWER")


def _sqrt(value: int | float) -> float | None:
    return math.sqrt(value) if value >= 0 else None


def _sign(value: int | float) -> int | float:
    result = (value > 0) - (value < 0)
    return result if isinstance(value, int) else float(result)


def _array_element(array: Any, index: Any) -> Any:
    """GetArrayElement(array, index): zero-based; NULL outside the array."""
    if array is None or index is None:
        return None
    if not isinstance(array, list):
        raise TypeError(f"GetArrayElement() needs an array, got {array!r}")
    position = _whole(index, "GetArrayElement")
    return array[position] if 0 <= position < len(array) else None


def _array_length(array: Any) -> Any:
    if array is None:
        return None
    if not isinstance(array, list):
        raise TypeError(f"GetArrayLength() needs an array, got {array!r}")
    return len(array)


def _record_property_value(record: Any, path: Any) -> Any:
    """GetRecordPropertyValue(record, 'a.b'): the property at a dotted path, NULL when absent."""
    if record is None or path is None:
        return None
    if not isinstance(record, dict):
        raise TypeError(f"GetRecordPropertyValue() needs a record, got {record!r}")
    value: Any = record
    for name in _text(path, "GetRecordPropertyValue").split("."):
        value = record_property(value, name)
    return value


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
    "substring": (_substring, 3, 3),
    "charindex": (_charindex, 2, 3),
    "patindex": (_patindex, 2, 2),
    "replace": (_replace, 3, 3),
    "trim": (_stripper("TRIM", lambda text: text.strip(" ")), 1, 1),
    "ltrim": (_stripper("LTRIM", lambda text: text.lstrip(" ")), 1, 1),
    "rtrim": (_stripper("RTRIM", lambda text: text.rstrip(" ")), 1, 1),
    "left": (_left, 2, 2),
    "right": (_right, 2, 2),
    "reverse": (_reverse, 1, 1),
    "replicate": (_replicate, 2, 2),
    "ceiling": (_math("CEILING", _same_type(math.ceil)), 1, 1),
    "floor": (_math("FLOOR", _same_type(math.floor)), 1, 1),
    "power": (_power, 2, 2),
    "sqrt": (_math("SQRT", _sqrt), 1, 1),
    "square": (_math("SQUARE", lambda value: float(value) * value), 1, 1),
    "sign": (_math("SIGN", _sign), 1, 1),
    "exp": (_math("EXP", math.exp), 1, 1),
    "datediff": (dates.datediff, 3, 3),
    "dateadd": (dates.dateadd, 3, 3),
    "datepart": (dates.datepart, 2, 2),
    "year": (dates.year, 1, 1),
    "month": (dates.month, 1, 1),
    "day": (dates.day, 1, 1),
    "datetimefromparts": (dates.datetime_from_parts, 7, 7),
    "getarrayelement": (_array_element, 2, 2),
    "getarraylength": (_array_length, 1, 1),
    "getrecordpropertyvalue": (_record_property_value, 2, 2),
    **GEOSPATIAL,
    "datename": (dates.datename, 2, 2),
    "gettype": (type_name, 1, 1),
    **string_functions.FUNCTIONS,
}
AGGREGATES = ("count", "sum", "avg", "min", "max", "topone", *statistical_aggregates.NAMES)
