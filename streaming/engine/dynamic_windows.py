"""Sliding and session windows: windows whose ends depend on the events (pure logic).

Sliding ("Sliding Window" reference page): the service "outputs events only for those points in time
when the content of the window actually changes, in other words when an event entered or exits the
window". Per group key, the windows end at every event time t (window (t - size, t], the event
entering) and at every t + size (the window that t has just left), and only those that still hold an
event are emitted ("every window has at least one event").

Session ("Session Window" reference page): a window begins with the first event and extends while the
next event comes within the timeout of the last one; it ends at last event + timeout. The maximum
duration is checked at multiples of it (t = 0, M, 2M, ... from the epoch): at the first check point c
with c - start >= M the window closes at c and, if events go on within the timeout, a new one opens at
c (so a window lasts up to twice M). With `OVER (PARTITION BY k)` each key has sessions of its own;
without it the sessions are those of all events, and GROUP BY keys split each session's results.
Undocumented boundaries, as chosen here: an event exactly at last + timeout extends the session (a
window's end belongs to it, as for the other windows); `c - start = M` reaches the maximum duration.

Rows are kept (their group key and aggregate arguments) until no open window can need them; a
window is emitted once the watermark passes its end, like the fixed windows.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from streaming.engine.ordering import NEVER
from streaming.engine.windows import WindowSpec

DYNAMIC_KINDS = ("sliding", "session")

Row = tuple[int, tuple[Any, ...], list[Any]]
"""(event time, GROUP BY key, one aggregate argument per slot)."""
Window = tuple[int, tuple[Any, ...], list[list[Any]]]
"""(window end, GROUP BY key, the aggregate arguments of its rows)."""


class DynamicWindows:
    """The rows and open sessions of one sliding- or session-window aggregate step."""

    def __init__(self, spec: WindowSpec) -> None:
        self.spec = spec
        self.rows: dict[tuple[Any, ...], list[Row]] = {}
        """Per partition (sliding: the GROUP BY key; session: the PARTITION BY key), in time order."""
        self.starts: dict[tuple[Any, ...], int] = {}
        """Session: the start of a partition's open window when it opened at a maximum-duration split."""
        self.closed_until = NEVER
        self.late_rows = 0

    def add(
        self,
        times: list[int],
        keys: list[tuple[Any, ...]],
        partitions: list[tuple[Any, ...]] | None,
        columns: list[list[Any] | None],
    ) -> None:
        """Keep a batch of rows (in time order); a row before an emitted point is counted late."""
        sliding = self.spec.kind == "sliding"
        for index, timestamp in enumerate(times):
            if timestamp < self.closed_until:
                self.late_rows += 1
                continue
            key = keys[index]
            partition = key if sliding else (partitions[index] if partitions is not None else ())
            args = [column[index] if column is not None else None for column in columns]
            self.rows.setdefault(partition, []).append((timestamp, key, args))

    def close(self, watermark: int | None) -> list[Window]:
        """Every window whose end the watermark has passed (all of them when `watermark` is None), by end."""
        windows: list[Window] = []
        close = self._close_sliding if self.spec.kind == "sliding" else self._close_sessions
        for partition in list(self.rows):
            windows.extend(close(partition, watermark))
        if watermark is not None:
            self.closed_until = max(self.closed_until, watermark)
        windows.sort(key=lambda window: window[0])
        return windows

    def _close_sliding(self, key: tuple[Any, ...], watermark: int | None) -> list[Window]:
        rows = self.rows[key]
        size = self.spec.size
        times = [row[0] for row in rows]
        points = sorted({*times, *(t + size for t in times)})
        start = bisect_left(points, self.closed_until)
        stop = len(points) if watermark is None else bisect_left(points, watermark)
        windows: list[Window] = []
        for point in points[start:stop]:
            first, last = bisect_right(times, point - size), bisect_right(times, point)
            if first < last:
                windows.append((point, key, [row[2] for row in rows[first:last]]))
        if watermark is None:
            del self.rows[key]
        else:  # a row is needed while its exit point (t + size) has not passed
            kept = rows[bisect_left(times, watermark - size) :]
            if kept:
                self.rows[key] = kept
            else:
                del self.rows[key]
        return windows

    def _close_sessions(self, partition: tuple[Any, ...], watermark: int | None) -> list[Window]:
        rows = self.rows[partition]
        timeout, longest = self.spec.size, self.spec.hop
        spans: list[tuple[int, int, int]] = []  # (end, first row, row after the last)
        start = self.starts.get(partition, rows[0][0])
        last = rows[0][0]
        begin = 0
        for index in range(1, len(rows)):
            timestamp = rows[index][0]
            while True:
                natural = last + timeout
                end = min(natural, _check_point(start, longest))
                if timestamp <= end:
                    break
                if index > begin:
                    spans.append((end, begin, index))
                begin = index
                if end < natural and timestamp <= natural:  # split at a check point; activity goes on
                    start = end
                    continue
                start = timestamp
                break
            last = timestamp
        end = min(last + timeout, _check_point(start, longest))
        if watermark is None or end < watermark:
            spans.append((end, begin, len(rows)))
            del self.rows[partition]
            self.starts.pop(partition, None)
        else:
            self.rows[partition] = rows[begin:]
            if start != rows[begin][0]:
                self.starts[partition] = start
            else:
                self.starts.pop(partition, None)
        windows: list[Window] = []
        for end, first, after in spans:
            groups: dict[tuple[Any, ...], list[list[Any]]] = {}
            for _, key, args in rows[first:after]:
                groups.setdefault(key, []).append(args)
            windows.extend((end, key, arg_rows) for key, arg_rows in groups.items())
        return windows

    def snapshot(self) -> dict[str, Any]:
        """Plain data (the executor encodes datetimes and sets in it)."""
        return {
            "closed_until": self.closed_until,
            "late_rows": self.late_rows,
            "rows": [[list(partition), [list(row) for row in rows]] for partition, rows in self.rows.items()],
            "starts": [[list(partition), start] for partition, start in self.starts.items()],
        }

    def restore(self, saved: dict[str, Any]) -> None:
        self.closed_until = saved["closed_until"]
        self.late_rows = saved["late_rows"]
        self.rows = {
            tuple(partition): [(t, tuple(key), args) for t, key, args in rows]
            for partition, rows in saved["rows"]
        }
        self.starts = {tuple(partition): start for partition, start in saved["starts"]}


def _check_point(start: int, longest: int) -> int:
    """The first maximum-duration check point (a multiple of `longest`) at least `longest` after `start`."""
    return -(-(start + longest) // longest) * longest
