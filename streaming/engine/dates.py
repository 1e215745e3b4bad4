"""Date and time functions of the query language (DATEDIFF, DATEADD, DATEPART, YEAR, MONTH, DAY,
DATETIMEFROMPARTS), as the reference pages "DATEDIFF", "DATEADD" and "DATEPART" describe them.

Dateparts and their abbreviations are those of the DATEDIFF page; the parser turns the bare word
(`DATEDIFF(minute, a, b)`) into a text literal and the planner checks it against `PARTS`. A date argument
is a datetime or ISO-8601 text (converted as CAST would; text that is not a date fails the job, as a
failed CAST does). DATEDIFF counts boundaries crossed (T-SQL semantics: `DATEDIFF(year, '2025-12-31',
'2026-01-01')` is 1; weeks start on Sunday); DATEADD truncates a fractional number and keeps the day of
the month within the target month; DATEPART(weekday) is 1 for Sunday.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any

from streaming.engine.errors import ExecutionError
from streaming.engine.values import CastError, datetime_to_micros, parse_datetime

PARTS = {
    **dict.fromkeys(("year", "yy", "yyyy"), "year"),
    **dict.fromkeys(("quarter", "qq", "q"), "quarter"),
    **dict.fromkeys(("month", "mm", "m"), "month"),
    **dict.fromkeys(("dayofyear", "dy", "y"), "dayofyear"),
    **dict.fromkeys(("day", "dd", "d"), "day"),
    **dict.fromkeys(("week", "wk", "ww"), "week"),
    **dict.fromkeys(("weekday", "dw", "w"), "weekday"),
    "hour": "hour",
    "hh": "hour",
    **dict.fromkeys(("minute", "mi", "n"), "minute"),
    **dict.fromkeys(("second", "ss", "s"), "second"),
    **dict.fromkeys(("millisecond", "ms"), "millisecond"),
    **dict.fromkeys(("microsecond", "mcs"), "microsecond"),
}
DATEPART_FUNCTIONS = frozenset({"datediff", "dateadd", "datepart", "datename"})
"""Functions whose first argument is a datepart word."""

_MICROS = {
    "hour": 3_600_000_000,
    "minute": 60_000_000,
    "second": 1_000_000,
    "millisecond": 1000,
    "microsecond": 1,
}


def as_datetime(value: Any, function: str) -> datetime | None:
    """A datetime argument: NULL stays NULL, text is parsed as CAST(... AS datetime) would."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except CastError as exc:
            raise ExecutionError(f"{function}: {exc}") from exc
    raise ExecutionError(f"{function}: {value!r} is not a datetime")


def _months(value: datetime) -> int:
    return value.year * 12 + value.month - 1


def datediff(part: str, start: Any, end: Any) -> int | None:
    first, last = as_datetime(start, "DATEDIFF"), as_datetime(end, "DATEDIFF")
    if first is None or last is None:
        return None
    unit = PARTS[part]
    if unit == "year":
        return last.year - first.year
    if unit == "quarter":
        return _months(last) // 3 - _months(first) // 3
    if unit == "month":
        return _months(last) - _months(first)
    if unit in ("day", "dayofyear", "weekday"):
        return (last.date() - first.date()).days
    if unit == "week":  # Sundays crossed: ordinal 7, 14, ... are Sundays
        return last.date().toordinal() // 7 - first.date().toordinal() // 7
    size = _MICROS[unit]
    return datetime_to_micros(last) // size - datetime_to_micros(first) // size


def _add_months(value: datetime, months: int) -> datetime:
    total = _months(value) + months
    year, month = divmod(total, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def dateadd(part: str, number: Any, date: Any) -> datetime | None:
    value = as_datetime(date, "DATEADD")
    if value is None or number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ExecutionError(f"DATEADD: {number!r} is not a number")
    count = int(number)  # a fraction is truncated, not rounded
    unit = PARTS[part]
    if unit == "year":
        return _add_months(value, 12 * count)
    if unit == "quarter":
        return _add_months(value, 3 * count)
    if unit == "month":
        return _add_months(value, count)
    if unit in ("day", "dayofyear", "weekday"):
        return value + timedelta(days=count)
    if unit == "week":
        return value + timedelta(days=7 * count)
    return value + timedelta(microseconds=_MICROS[unit] * count)


def datepart(part: str, date: Any) -> int | None:
    value = as_datetime(date, "DATEPART")
    if value is None:
        return None
    unit = PARTS[part]
    if unit == "quarter":
        return (value.month - 1) // 3 + 1
    if unit == "dayofyear":
        return value.timetuple().tm_yday
    if unit == "weekday":
        return (value.isoweekday() % 7) + 1  # Sunday 1 ... Saturday 7
    if unit == "week":  # week 1 holds January 1st; weeks start on Sunday
        first = value.replace(month=1, day=1)
        return (value.timetuple().tm_yday + first.isoweekday() % 7 - 1) // 7 + 1
    if unit == "millisecond":
        return value.microsecond // 1000
    return int(getattr(value, unit))


def datename(part: str, date: Any) -> str | None:
    """DATENAME(part, date) ("DATENAME" page: "a character string that represents the specified datepart"):
    month and weekday by their English names, as T-SQL with us_english; other parts as DATEPART's
    number in text (the page gives no output)."""
    number = datepart(part, date)
    if number is None:
        return None
    unit = PARTS[part]
    if unit == "month":
        return calendar.month_name[number]
    if unit == "weekday":
        return calendar.day_name[(number - 2) % 7]  # DATEPART's 1 is Sunday; calendar's 0 is Monday
    return str(number)


def year(date: Any) -> int | None:
    return datepart("year", date)


def month(date: Any) -> int | None:
    return datepart("month", date)


def day(date: Any) -> int | None:
    return datepart("day", date)


def datetime_from_parts(*parts: Any) -> datetime | None:
    """DATETIMEFROMPARTS(year, month, day, hour, minute, seconds, milliseconds)."""
    if any(part is None for part in parts):
        return None
    try:
        y, mo, d, h, mi, s, ms = (int(part) for part in parts)
        return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)
    except (TypeError, ValueError) as exc:
        raise ExecutionError(f"DATETIMEFROMPARTS{parts!r}: {exc}") from exc
