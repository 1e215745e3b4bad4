"""Stream Analytics blob path patterns (`scored/{date}/{time}`) to blob names (pure)."""

from __future__ import annotations

import re
from datetime import datetime

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
