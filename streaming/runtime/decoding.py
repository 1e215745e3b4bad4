"""Input events from bytes to JSON objects, or the reason an event cannot enter the query (pure).

Stream Analytics reads JSON input events as objects; an event it cannot deserialize never reaches the
query. The reasons name the field (or `event` for the whole payload) and the rule, and go with the
original bytes to the dead letter (`streaming.dead_letter`):
- empty payload; not UTF-8 text; not JSON (NaN and Infinity are not JSON values: RFC 8259 section 6);
- a JSON value that is not an object (an array, a string, a number...);
- an integer literal outside bigint's 64-bit range (Stream Analytics reads JSON integers as bigint:
  https://learn.microsoft.com/stream-analytics-query/data-types-azure-stream-analytics); decoding it
  as a float would change it (`10^30` read back as `1e+30`, `2^63+5` as another number).

Most batches hold only well-formed events: `decode_batch` decodes them all at once (orjson) and looks at
events one by one only when that fails or when a run of 19 digits (a possible integer beyond 64 bits)
appears in the batch.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DIGITS_TO_ZERO_BYTES = bytes.maketrans(b"0123456789", bytes(10))
_LONG_DIGIT_RUN = bytes(19)
"""19 digits in a row, after translating digits to zero bytes (much faster than a regular expression)."""


class _NotJsonConstantError(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJsonConstantError(name)


def decode_batch(values: list[bytes | None]) -> tuple[list[dict[str, Any] | None], list[tuple[int, str]]]:
    """Each value's JSON object (None where rejected), and (index, reason) for the rejected ones."""
    try:
        payloads = list(map(orjson.loads, values))  # type: ignore[arg-type]
        if all(type(payload) is dict for payload in payloads) and not _has_long_digit_run(values):  # type: ignore[arg-type]
            return payloads, []
    except (orjson.JSONDecodeError, TypeError):
        pass
    decoded: list[dict[str, Any] | None] = []
    rejected: list[tuple[int, str]] = []
    for index, value in enumerate(values):
        result = decode_event(value)
        if isinstance(result, str):
            rejected.append((index, result))
            decoded.append(None)
        else:
            decoded.append(result)
    return decoded, rejected


def _has_long_digit_run(values: list[bytes]) -> bool:
    """Whether any value holds 19 digits in a row (ids, fractions, or an integer beyond 64 bits)."""
    return b"\n".join(values).translate(_DIGITS_TO_ZERO_BYTES).find(_LONG_DIGIT_RUN) >= 0


def decode_event(value: bytes | None) -> dict[str, Any] | str:
    """The event's JSON object, or the reason it cannot enter the query (field and rule)."""
    if value is None or not value.strip():
        return "event: empty payload, not a JSON object"
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"event: not UTF-8 text (byte {value[exc.start]:#04x} at position {exc.start})"
    try:
        exact = json.loads(text, parse_constant=_refuse_constant)
    except _NotJsonConstantError as exc:
        return f"event: {exc.args[0]} is not a JSON value (JSON has no NaN or Infinity)"
    except json.JSONDecodeError as exc:
        return f"event: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if not isinstance(exact, dict):
        return f"event: a JSON {_kind(exact)}, not an object"
    field = _integer_out_of_range(exact, "")
    if field is not None:
        return f"{field}: out of range (an integer beyond bigint's 64-bit range [{INT64_MIN}, {INT64_MAX}])"
    try:
        payload = orjson.loads(value)  # the values every other event gets (same decoder)
    except orjson.JSONDecodeError as exc:
        return f"event: not JSON ({exc})"
    return payload


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return "literal"
    return "number"


def _integer_out_of_range(value: Any, path: str) -> str | None:
    """The path of the first integer outside int64 (`field`, `field.inner`, `field[2]`), else None."""
    if isinstance(value, dict):
        for key, item in value.items():
            found = _integer_out_of_range(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _integer_out_of_range(item, f"{path}[{index}]")
            if found is not None:
                return found
    elif type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        return path
    return None
