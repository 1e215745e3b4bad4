"""Stream Analytics blob path patterns (`scored/{date}/{time}`) to blob names (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from streaming.runtime.errors import ProjectError

_DATE_FORMATS = {
    "yyyy/MM/dd": "%Y/%m/%d",
    "MM/dd/yyyy": "%m/%d/%Y",
    "dd/MM/yyyy": "%d/%m/%Y",
    "yyyy-MM-dd": "%Y-%m-%d",
}
_TIME_FORMATS = {"HH": "%H", "HH/mm": "%H/%M", "HH-mm": "%H-%M"}
_TOKEN = re.compile(r"\{([^{}]*)\}")


def blob_folder(pattern: str, date_format: str, time_format: str, when: datetime) -> str:
    """The folder a row with output time `when` (UTC) goes to: `{date}` and `{time}` filled in."""
    try:
        date = when.strftime(_DATE_FORMATS[date_format])
        time = when.strftime(_TIME_FORMATS[time_format])
    except KeyError as exc:
        raise ProjectError(f"blob output: unsupported date/time format {exc.args[0]!r}") from exc

    def fill(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "date":
            return date
        if token == "time":
            return time
        raise ProjectError(f"blob path pattern {pattern!r}: unsupported token {{{token}}}")

    return _TOKEN.sub(fill, pattern).strip("/")


def blob_name(folder: str, sequence: int) -> str:
    """One blob per output cycle: a replay of the same cycle after a crash overwrites it, never adds one."""
    return f"{folder}/{sequence:012d}.{_EXTENSION}"


_EXTENSION = "json"
_SEQUENCE = re.compile(r"(?:^|/)(\d{12})\." + _EXTENSION + "$")


def static_prefix(pattern: str) -> str:
    """The part of a path pattern before its first token: every blob of the output is under it."""
    return pattern.split("{", 1)[0]


def blob_sequence(name: str) -> int | None:
    """The cycle number in a blob name written by `blob_name`, None for any other name."""
    found = _SEQUENCE.search(name)
    return int(found.group(1)) if found else None


STATIC = datetime(1, 1, 1, tzinfo=UTC)
"""The time `blob_time` gives the one blob of a pattern without tokens (static reference data)."""
_FIELDS = {"yyyy": r"\d{4}", "MM": r"\d{2}", "dd": r"\d{2}", "HH": r"\d{2}", "mm": r"\d{2}"}


def _format_regex(fmt: str) -> str:
    return re.sub("|".join(_FIELDS), lambda m: _FIELDS[m.group(0)], re.escape(fmt))


def blob_time(pattern: str, date_format: str, time_format: str, name: str) -> datetime | None:
    """The date/time a blob name encodes by a reference input's path pattern (UTC), `STATIC` for the
    blob of a pattern without tokens, None when the name does not match the pattern.

    Reference data blobs are ordered by this time, never by their Last Modified time ("Use reference data
    for lookups in Stream Analytics", Tips on refreshing blob reference data).
    """
    if date_format not in _DATE_FORMATS or time_format not in _TIME_FORMATS:
        raise ProjectError(
            f"path pattern {pattern!r}: unsupported date/time format {date_format!r}/{time_format!r}"
        )
    tokens = _TOKEN.findall(pattern)
    if not tokens:
        return STATIC if name == pattern else None
    if "time" in tokens and "date" not in tokens:
        raise ProjectError(f"reference path pattern {pattern!r}: a {{time}} token needs a {{date}} token")
    regex = ""
    position = 0
    for match in _TOKEN.finditer(pattern):
        regex += re.escape(pattern[position : match.start()])
        token = match.group(1)
        if token not in ("date", "time"):
            raise ProjectError(f"path pattern {pattern!r}: unsupported token {{{token}}}")
        regex += f"(?P<{token}>{_format_regex(date_format if token == 'date' else time_format)})"
        position = match.end()
    found = re.fullmatch(regex + re.escape(pattern[position:]), name)
    if found is None:
        return None
    text, fmt = found.group("date"), _DATE_FORMATS[date_format]
    if "time" in tokens:
        text, fmt = f"{text} {found.group('time')}", f"{fmt} {_TIME_FORMATS[time_format]}"
    try:
        return datetime.strptime(text, fmt).replace(tzinfo=UTC)
    except ValueError:
        return None  # digits in the right places but no date (month 13): not a blob of the sequence
