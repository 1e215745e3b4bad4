"""Runtime semantics of values: SQL NULL logic, casts, comparisons and arithmetic.

Values are plain Python: None (NULL), bool (bit), int (bigint), float, str (nvarchar(max)), datetime
(UTC), dict (record) and list (array), as JSON input gives them under compatibility level 1.2. Generated
step code calls these functions; they take and return those values and never raise for NULL.
"""

from __future__ import annotations

import json
import math
import warnings
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
import orjson

from streaming.engine.errors import ExecutionError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
CAST_TYPES = ("bigint", "float", "nvarchar(max)", "nvarchar", "datetime", "bit", "record", "array")


class CastError(ValueError):
    """A value that a type cannot hold (TRY_CAST turns it into NULL, CAST fails the job)."""


def micros_to_datetime(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def datetime_to_micros(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_datetime(text: str) -> datetime:
    """ISO-8601 text -> UTC datetime; digits beyond microseconds are cut (the service keeps 100 ns)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    if "." in value:
        head, _, tail = value.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        if digits > 6:
            value = head + "." + tail[:6] + tail[digits:]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CastError(f"{text!r} is not an ISO-8601 date and time") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """The service's JSON form: `2019-10-07T00:03:55.0000000Z` (seven fractional digits, UTC)."""
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")[:26] + "0Z"


def json_default(value: Any) -> Any:
    """`json.dumps(default=...)`: datetimes in the service's form; anything else is an error."""
    if isinstance(value, datetime):
        return format_datetime(value)
    raise TypeError(f"a {type(value).__name__} cannot be written as JSON")


def json_bytes(value: Any) -> bytes:
    """One value as compact JSON (datetimes in the service's form; integers beyond 64 bits too)."""
    try:
        return orjson.dumps(value, default=json_default, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        return json.dumps(value, default=json_default, separators=(",", ":")).encode()


def to_timestamp(value: Any) -> int | None:
    """A TIMESTAMP BY value -> microseconds since the epoch, or None when it cannot be converted."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)  # the common case; parse_datetime handles the rest
        except ValueError:
            try:
                parsed = parse_datetime(value)
            except CastError:
                return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return (parsed - EPOCH) // _MICROSECOND
    if isinstance(value, datetime):
        return datetime_to_micros(value)
    return None


def to_timestamps(items: list[Any]) -> list[int | None]:
    """`to_timestamp` of every value. Text in the service's own form (`2026-11-29T10:00:00.1234567Z`,
    what producers write) is read by numpy all at once; anything else value by value."""
    if len(items) > 1 and set(map(type, items)) == {str}:
        try:
            heads = [
                text[:26] for text in items if len(text) == 28 and text[27] == "Z" and text[26].isdigit()
            ]
            if len(heads) == len(items) and all(text[10] == "T" for text in heads):
                with warnings.catch_warnings():  # numpy warns before refusing a zone offset
                    warnings.simplefilter("ignore")
                    stamps: list[int | None] = (
                        np.array(heads, dtype="datetime64[us]").astype(np.int64).tolist()
                    )
                    return stamps
        except ValueError:
            pass  # numpy refused one of them: value by value names none, drops only the bad ones
    return [to_timestamp(value) for value in items]


def cast(value: Any, type_name: str) -> Any:
    """Convert `value` to a Stream Analytics type; raises `CastError` when it cannot."""
    if value is None:
        return None
    kind = "nvarchar(max)" if type_name.startswith("nvarchar") else type_name
    if kind == "float":
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        if isinstance(value, int | float):
            result = float(value)
        elif isinstance(value, str):
            try:
                result = float(value.strip())
            except ValueError as exc:
                raise CastError(f"{value!r} is not a float") from exc
        else:
            raise CastError(f"a {type(value).__name__} is not a float")
        if not math.isfinite(result):
            raise CastError(f"{value!r} is not a finite float")
        return result
    if kind == "bigint":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise CastError(f"{value!r} is not a bigint")
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                try:
                    as_float = float(value.strip())
                except ValueError as exc:
                    raise CastError(f"{value!r} is not a bigint") from exc
                if not math.isfinite(as_float):
                    raise CastError(f"{value!r} is not a bigint") from None
                return int(as_float)
        raise CastError(f"a {type(value).__name__} is not a bigint")
    if kind == "bit":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
        raise CastError(f"{value!r} is not a bit")
    if kind == "nvarchar(max)":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return format_datetime(value)
        if isinstance(value, int | float):
            return repr(value)
        raise CastError(f"a {type(value).__name__} is not an nvarchar(max)")
    if kind == "datetime":
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            return parse_datetime(value)
        raise CastError(f"{value!r} is not a datetime")
    if kind == "record":
        if isinstance(value, dict):
            return value
        raise CastError(f"{value!r} is not a record")
    if kind == "array":
        if isinstance(value, list):
            return value
        raise CastError(f"{value!r} is not an array")
    raise CastError(f"unknown type {type_name}")


def try_cast(value: Any, type_name: str) -> Any:
    try:
        return cast(value, type_name)
    except CastError:
        return None


def strict_cast(value: Any, type_name: str, where: str) -> Any:
    try:
        return cast(value, type_name)
    except CastError as exc:
        raise ExecutionError(f"{where}: CAST failed: {exc} (use TRY_CAST to get NULL instead)") from exc


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(left, bool) or isinstance(right, bool):
        return (
            int(left) if isinstance(left, bool) else left,
            int(right) if isinstance(right, bool) else right,
        )
    if isinstance(left, datetime) and isinstance(right, str):
        return left, parse_datetime(right)
    if isinstance(right, datetime) and isinstance(left, str):
        return parse_datetime(left), right
    return left, right


def compare(op: str, left: Any, right: Any) -> bool | None:
    """`left op right` with NULL -> NULL; values of types that cannot be compared give NULL too."""
    if left is None or right is None:
        return None
    try:
        a, b = _comparable(left, right)
        if op == "=":
            return bool(a == b)
        if op == "<>":
            return bool(a != b)
        if op == "<":
            return bool(a < b)
        if op == ">":
            return bool(a > b)
        if op == "<=":
            return bool(a <= b)
        return bool(a >= b)
    except (TypeError, CastError):
        return None


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """`+ - * / %` with NULL propagation; string `+` concatenates; division by zero gives NULL."""
    if left is None or right is None:
        return None
    try:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            if right == 0:
                return None
            return left / right
        if right == 0:
            return None
        remainder = math.fmod(left, right)  # SQL: the sign follows the dividend
        return int(remainder) if isinstance(left, int) and isinstance(right, int) else remainder
    except TypeError as exc:
        raise ExecutionError(
            f"operator {op} cannot combine {type(left).__name__} and {type(right).__name__}"
        ) from exc


def negate(value: Any) -> Any:
    return None if value is None else -value


def truth_value(value: Any) -> bool | None:
    """A value used as a condition: a bit, or what CAST(value AS bit) gives (numbers: non-zero is true;
    'true'/'false'/'1'/'0'); NULL for anything else."""
    if value is None or value is True or value is False:
        return value
    bit: bool | None = try_cast(value, "bit")
    return bit


def logical_and(left: Any, right: Any) -> bool | None:
    left, right = truth_value(left), truth_value(right)
    if left is False or right is False:
        return False
    if left is None or right is None:
        return None
    return True


def logical_or(left: Any, right: Any) -> bool | None:
    left, right = truth_value(left), truth_value(right)
    if left is True or right is True:
        return True
    if left is None or right is None:
        return None
    return False


def logical_not(value: Any) -> bool | None:
    value = truth_value(value)
    return None if value is None else not value


_ABSENT: Any = object()


def record_property(record: Any, name: str, missing: Any = None) -> Any:
    """`record.name`; `missing` (NULL) when the value is not a record or lacks the property.

    Names match case-insensitively, as in the service: `SELECT DeviceID` reads a field `DeviceId`
    (compatibility level 1.1+ keeps the case of field names, "Compatibility level for Azure Stream
    Analytics jobs"; the query's spelling does not have to follow it). An exact match wins."""
    if type(record) is not dict:
        return missing
    value = record.get(name, _ABSENT)
    if value is not _ABSENT:
        return value
    folded = name.casefold()
    for key, value in record.items():
        if key.casefold() == folded:
            return value
    return missing


def record_properties(records: list[Any], name: str, missing: Any = None) -> list[Any]:
    """`record_property` of every record: exact names at C speed, the others matched ignoring case."""
    try:
        return list(map(itemgetter(name), records))  # the common case: every record has the name
    except (KeyError, TypeError, IndexError):
        pass
    try:
        found = list(map(dict.get, records, repeat(name), repeat(_ABSENT)))
    except TypeError:  # some value is not a record
        return [record_property(record, name, missing) for record in records]
    if _ABSENT not in found:
        return found
    return [
        value if value is not _ABSENT else record_property(record, name, missing)
        for value, record in zip(found, records, strict=True)
    ]


def type_name(value: Any) -> str | None:
    """GetType(value) ("GetType" page: "a data type name of the value", names of "Data Types"):
    NULL for NULL (the page does not say)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "bit"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "nvarchar(max)"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, dict):
        return "record"
    if isinstance(value, list):
        return "array"
    raise TypeError(f"GetType() of an unknown value {value!r}")
