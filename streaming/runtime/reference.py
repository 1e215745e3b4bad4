"""Blob reference inputs: loaded into the engine at start, and again when a newer blob is due.

As "Use reference data for lookups in Stream Analytics" describes for Blob Storage: the blobs matching the
input's path pattern form a sequence ordered by the date/time their names encode (never by Last
Modified); at start the job takes the most recent blob whose time is not after the start time; later it
scans for the next blobs once a minute and takes a blob only when its clock has reached the time in its
name, never one older than the last taken ("It will never look for a blob with an encoded time earlier
than the last one that's discovered"). Until then the previous data applies; a blob found late applies
from when it was found ("the job uses this file starting on ... 10:03 PM and uses the previous reference
data until then"). In the engine each snapshot is valid from `max(time in its name, time found)` on, and
a row joins the snapshot valid at its time (`streaming/engine/join.py`).

Where this runtime differs: with no due blob at start the service waits for one ("the Stream Analytics
job waits indefinitely for the blob to become available"); the runtime refuses to start instead, naming
container and pattern, since a local run that silently joins nothing is the worse outcome. A blob that
cannot be read, is larger than the documented size for the job's streaming units or lacks a key of the
JOIN stops the runtime with the input, container, blob and row (`ReferenceInputError`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from streaming.engine import Engine, EngineError
from streaming.reference_data import ReferenceDataError, parse_reference
from streaming.runtime.errors import ReferenceInputError
from streaming.runtime.path_pattern import blob_time, static_prefix
from streaming.runtime.project import ReferenceInput

log = logging.getLogger(__name__)

SCAN_INTERVAL_S = 60.0
"""How often the service looks for the next reference blob ("scans for refreshed reference data blobs at
a one-minute interval")."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReferenceLoader:
    """One blob reference input of a running job."""

    def __init__(
        self,
        service: Any,
        reference: ReferenceInput,
        max_bytes: int,
        scan_interval_s: float = SCAN_INTERVAL_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.reference = reference
        self.container = service.get_container_client(reference.container)
        self.max_bytes = max_bytes
        self.scan_interval_s = scan_interval_s
        self.clock = clock
        self.loaded: tuple[datetime, str] | None = None
        """(time in the name, blob name) of the blob loaded last."""
        self._next_scan = 0.0

    @property
    def refreshed(self) -> bool:
        """A pattern with `{date}`/`{time}` tokens; without them the one blob is static."""
        return "{" in self.reference.path_pattern

    def _where(self) -> str:
        r = self.reference
        return f"reference input {r.alias} (container {r.container}, path pattern {r.path_pattern!r})"

    def _sequence(self) -> list[tuple[datetime, str, int]]:
        """The blobs of the pattern: (time in the name, name, size), in the order of their times."""
        r = self.reference
        prefix = static_prefix(r.path_pattern)
        try:
            listed = list(self.container.list_blobs(name_starts_with=prefix or None))
        except ResourceNotFoundError as exc:
            raise ReferenceInputError(f"{self._where()}: the container does not exist") from exc
        except Exception as exc:  # the storage SDK's errors have no common base beyond Exception
            raise ReferenceInputError(f"{self._where()}: cannot list blobs: {exc}") from exc
        found = []
        for blob in listed:
            when = blob_time(r.path_pattern, r.date_format, r.time_format, blob.name)
            if when is not None:
                found.append((when, blob.name, int(blob.size)))
        return sorted(found)

    def start(self, engine: Engine) -> str:
        """Load the most recent blob whose time is not after now; refuse to start without one."""
        now = self.clock()
        due = [blob for blob in self._sequence() if blob[0] <= now]
        if not due:
            raise ReferenceInputError(
                f"{self._where()}: no blob at or before {now.isoformat()} (the service would wait for one; "
                "upload the reference data first)"
            )
        when, name, size = due[-1]
        self._load(engine, self._read(name, size), None, name)
        self.loaded = (when, name)
        self._next_scan = time.monotonic() + self.scan_interval_s
        return name

    def refresh(self, engine: Engine) -> str | None:
        """At most once per scan interval: load the newest blob that became due since the last one;
        it applies from `max(its time, now)` on. Returns its name, None when nothing changed."""
        if not self.refreshed or time.monotonic() < self._next_scan:
            return None
        self._next_scan = time.monotonic() + self.scan_interval_s
        assert self.loaded is not None, "start() first"
        now = self.clock()
        due = [blob for blob in self._sequence() if self.loaded[0] < blob[0] <= now]
        if not due:
            return None
        when, name, size = due[-1]  # the ones before it would apply from now on too, and be replaced
        self._load(engine, self._read(name, size), max(when, now), name)
        self.loaded = (when, name)
        return name

    def _read(self, name: str, size: int) -> list[dict[str, Any]]:
        r = self.reference
        if size > self.max_bytes:
            raise ReferenceInputError(
                f"{self._where()}: blob {name} has {size} bytes, more than the {self.max_bytes} documented "
                "for the job's streaming units (Size limitation of 'Use reference data for lookups')"
            )
        try:
            data = self.container.download_blob(name).readall()
        except Exception as exc:  # the storage SDK's errors have no common base beyond Exception
            raise ReferenceInputError(f"{self._where()}: cannot read blob {name}: {exc}") from exc
        try:
            return parse_reference(data, r.serialization, f"blob {r.container}/{name}", r.field_delimiter)
        except ReferenceDataError as exc:
            raise ReferenceInputError(f"reference input {r.alias}: {exc}") from exc

    def _load(
        self, engine: Engine, rows: list[dict[str, Any]], valid_from: datetime | None, name: str
    ) -> None:
        source = f"blob {self.reference.container}/{name}"
        try:
            engine.load_reference(self.reference.alias, rows, valid_from, source)
        except EngineError as exc:
            raise ReferenceInputError(str(exc)) from exc
        since = "every event" if valid_from is None else f"events from {valid_from.isoformat()}"
        log.info("Loaded new reference data from %s (%d rows, for %s)", source, len(rows), since)
