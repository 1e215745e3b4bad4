"""Export windows -> whole UTC hours, and the blob name of each hour (pure logic).

An hour blob always holds the whole hour, so any window is widened to the hours it touches; two
overlapping windows then rewrite the same blobs instead of writing a record twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from export.errors import ExportConfigError

HOUR = timedelta(hours=1)
BLOB_NAME = "{start:%Y}/{start:%m}/{start:%d}/{start:%H}/part-0000.parquet"
MAX_HOURS = 24 * 366


@dataclass(frozen=True, order=True)
class Hour:
    """One export unit: the half-open hour [start, end) in UTC and its blob."""

    start: datetime

    @property
    def end(self) -> datetime:
        return self.start + HOUR

    @property
    def blob_name(self) -> str:
        """`{yyyy}/{MM}/{dd}/{HH}/part-0000.parquet` inside the inference container."""
        return BLOB_NAME.format(start=self.start)


def parse_instant(text: str, what: str) -> datetime:
    """ISO-8601 (naive means UTC) -> aware UTC datetime; the error names the option."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ExportConfigError(
            f"{what}={text!r} is not an ISO-8601 time (e.g. 2026-11-29T10:00:00Z)"
        ) from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def floor_hour(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hours_touched(start: datetime, end: datetime) -> list[Hour]:
    """Every whole hour that [start, end) touches, in order; end must be after start."""
    if end <= start:
        raise ExportConfigError(f"window end {end.isoformat()} is not after its start {start.isoformat()}")
    first = floor_hour(start)
    last = floor_hour(end) if floor_hour(end) == end else floor_hour(end) + HOUR
    count = int((last - first) / HOUR)
    if count > MAX_HOURS:
        raise ExportConfigError(f"window of {count} hours is longer than {MAX_HOURS}; split the backfill")
    return [Hour(first + i * HOUR) for i in range(count)]


INGESTION_DELAY = timedelta(minutes=15)
"""Application Insights ingestion latency allowance: an hour is exported once it ended this long ago."""


def recent_window(now: datetime, hours: int, delay: timedelta = INGESTION_DELAY) -> tuple[datetime, datetime]:
    """The `hours` whole hours that ended at least `delay` before `now`: what a scheduled run exports
    (`python -m export run <env> --last-hours N`). Runs every interval rewrite the same whole hours, so an
    hour is exported again until it has left the window, and none is split or skipped."""
    if hours < 1:
        raise ExportConfigError(f"--last-hours must be at least 1, got {hours}")
    end = floor_hour(now - delay)
    return end - hours * HOUR, end
