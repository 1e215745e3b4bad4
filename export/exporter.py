"""Export a window: for each whole hour touched, read records, convert, write one Parquet blob."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from environments.data_schema import DataSchema
from export.blob_sink import BlobSink
from export.parquet_bytes import parquet_bytes
from export.rows import to_rows
from export.schema import export_schema
from export.sources import RecordSource
from export.windows import Hour, hours_touched

log = logging.getLogger(__name__)


@dataclass
class HourResult:
    hour: Hour
    rows: int
    blob: str | None
    skipped: list[str] = field(default_factory=list)
    duplicates: int = 0
    probes: int = 0
    mirrored: int = 0
    refused: str | None = None
    """Why the hour was not written (its rows cannot be trusted); None when it was exported."""


@dataclass
class ExportReport:
    """What a run did, hour by hour."""

    hours: list[HourResult] = field(default_factory=list)

    @property
    def written(self) -> list[HourResult]:
        return [h for h in self.hours if h.blob is not None]

    @property
    def rows(self) -> int:
        return sum(h.rows for h in self.hours)

    @property
    def refused(self) -> list[HourResult]:
        """Hours not written because their rows cannot be trusted; the run fails when there is one."""
        return [h for h in self.hours if h.refused is not None]

    def summary(self) -> str:
        if self.refused:
            reasons = "; ".join(f"{h.hour.blob_name}: {h.refused}" for h in self.refused)
            return f"refused {len(self.refused)} hour(s), wrote {self.rows} rows in {len(self.written)} blob(s): {reasons}"
        if not self.written:
            return f"no inference records in the {len(self.hours)} hour(s) of the window: nothing written"
        empty = len(self.hours) - len(self.written)
        return f"wrote {self.rows} rows in {len(self.written)} blob(s); {empty} hour(s) without records"


def export_window(
    start: datetime,
    end: datetime,
    source: RecordSource,
    sink: BlobSink,
    data_schema: DataSchema,
    on_hour: Callable[[HourResult], None] | None = None,
) -> ExportReport:
    """Export every whole hour [start, end) touches; an hour without records writes nothing."""
    schema = export_schema(data_schema)
    hours = hours_touched(start, end)
    report = ExportReport()
    container_ready = False
    with progress(
        len(hours), f"export {hours[0].start:%Y-%m-%dT%H}h..{hours[-1].start:%Y-%m-%dT%H}h"
    ) as advance:
        for hour in hours:
            records = source.fetch(hour.start, hour.end)
            history = source.traffic_history(hour.end)
            conversion = to_rows(records, data_schema, hour.start, hour.end, history)
            result = HourResult(
                hour,
                len(conversion.rows),
                None,
                conversion.skipped,
                conversion.duplicates,
                conversion.probes,
                conversion.mirrored,
            )
            if conversion.unrecorded:
                result.rows, result.refused = 0, refusal(conversion.unrecorded)
                log.error("%s: not exported: %s", hour.blob_name, result.refused)
            elif conversion.rows:
                if not container_ready:
                    sink.ensure_container()
                    container_ready = True
                sink.write(hour.blob_name, parquet_bytes(conversion.rows, schema))
                result.blob = hour.blob_name
            for problem in conversion.skipped:
                log.warning("%s: %s", hour.blob_name, problem)
            if conversion.probes:
                log.info("%s: left out %d probe rows (smoke tests)", hour.blob_name, conversion.probes)
            if conversion.mirrored:
                log.info(
                    "%s: left out %d mirrored copies (rows of a deployment taking no live traffic then)",
                    hour.blob_name,
                    conversion.mirrored,
                )
            report.hours.append(result)
            if on_hour is not None:
                on_hour(result)
            advance(result)
    return report


def refusal(deployments: list[str]) -> str:
    """Why an hour whose deployments the traffic history misses is not exported."""
    return (
        f"rows of deployment(s) {', '.join(deployments)} that no traffic event names, beside rows of another "
        "deployment: mirrored copies cannot be told from live rows (decision 0014). The rollout's traffic "
        "events were refused or lost: the identity running it needs Monitoring Metrics Publisher on "
        "Application Insights (docs/identities.md). The hour stays out of the export, and so out of drift"
    )


@contextmanager
def progress(total: int, title: str) -> Iterator[Callable[[HourResult], None]]:
    """A rich progress bar on a terminal, one plain log line per hour otherwise."""
    if sys.stderr.isatty() and total > 1:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task(title, total=total)
            yield lambda result: bar.advance(task)
        return

    def line(result: HourResult) -> None:
        what = f"{result.rows} rows -> {result.blob}" if result.blob else "no records, nothing written"
        log.info("%s: %s", f"{result.hour.start:%Y-%m-%dT%H}h", what)

    yield line
