"""Envelope and query timestamps <-> integer microseconds since the epoch (UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FRACTION = re.compile(r"\.(\d+)")


def parse_timestamp(text: str) -> int:
    """ISO-8601 (any fraction length, 'Z' or offset; naive means UTC) -> epoch microseconds."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"timestamp must be a non-empty string, got {text!r}")
    normalized = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    # fromisoformat in 3.11 accepts 3 or 6 fraction digits only; App Insights uses up to 7.
    normalized = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], normalized, count=1)
    when = datetime.fromisoformat(normalized)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def format_timestamp(micros: int) -> str:
    """Epoch microseconds -> 'YYYY-MM-DDTHH:MM:SS.ffffffZ'."""
    return (_EPOCH + timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
