"""Drift windows over the export layout `{yyyy}/{MM}/{dd}/{HH}/` (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitoring.drift.errors import DriftInputError


def parse_time(text: str, what: str) -> datetime:
    """ISO-8601 time; UTC when it names no offset."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise DriftInputError(f"{what}: {text!r} is not an ISO-8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def default_window(now: datetime, hours: int) -> tuple[datetime, datetime]:
    """The last `hours` whole hours before `now`."""
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return end - timedelta(hours=hours), end


def window_hours(start: datetime, end: datetime) -> list[datetime]:
    """Start of every UTC hour the half-open window `[start, end)` touches."""
    if end <= start:
        raise DriftInputError(f"window end {end.isoformat()} is not after its start {start.isoformat()}")
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def hour_prefix(hour: datetime) -> str:
    """`{yyyy}/{MM}/{dd}/{HH}/` of an hour, as the exporter writes it."""
    return hour.strftime("%Y/%m/%d/%H/")
