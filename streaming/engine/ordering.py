"""Event ordering: late-arrival and out-of-order policies, and the watermark (pure logic).

Per input partition, in the order the service documents (late check first, then order):
1. no usable timestamp -> dropped; event time more than 5 minutes after arrival (early) -> dropped;
2. late: event time < arrival - L -> Adjust (time := arrival - L) or Drop;  L = -1 means never late;
3. out of order: event time < partition watermark -> Adjust (time := watermark) or Drop;
4. events wait in a buffer until the watermark passes them (O > 0), then leave sorted by time.
Partition watermark = max(max event time - O, latest arrival or clock - L). The input's watermark is
the minimum over its partitions and never goes back. Without TIMESTAMP BY, time is the arrival time
and the tolerances do not apply. All times are integer microseconds since the epoch.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

EARLY_ARRIVAL_LIMIT = 5 * 60 * 1_000_000
NEVER = -(2**62)


@dataclass(frozen=True)
class EventOrdering:
    """The job's event-ordering settings (JobConfig.json / ARM `eventsLateArrivalMaxDelayInSeconds`...)."""

    late_arrival_max_delay_s: int = 5
    out_of_order_max_delay_s: int = 0
    out_of_order_policy: Literal["Adjust", "Drop"] = "Adjust"

    @property
    def late_us(self) -> int | None:
        return None if self.late_arrival_max_delay_s < 0 else self.late_arrival_max_delay_s * 1_000_000

    @property
    def out_of_order_us(self) -> int:
        return self.out_of_order_max_delay_s * 1_000_000


@dataclass
class OrderingCounters:
    """What the ordering did to events; the runtime reports these as metrics."""

    accepted: int = 0
    no_timestamp: int = 0
    early_dropped: int = 0
    late_adjusted: int = 0
    late_dropped: int = 0
    out_of_order_adjusted: int = 0
    out_of_order_dropped: int = 0


@dataclass
class _Partition:
    max_event: int = NEVER
    last_arrival: int = NEVER
    buffer: list[tuple[int, int, Any]] = field(default_factory=list)


class InputClock:
    """Orders one input's events and tracks its watermark across partitions."""

    def __init__(
        self, ordering: EventOrdering, event_time: bool, partitions: list[int] | None = None
    ) -> None:
        self.ordering = ordering
        self.event_time = event_time
        self.partitions: dict[int, _Partition] = {p: _Partition() for p in partitions or []}
        self.counters = OrderingCounters()
        self.watermark = NEVER
        self._sequence = 0

    @property
    def _late(self) -> int | None:
        return self.ordering.late_us if self.event_time else 0

    @property
    def _out_of_order(self) -> int:
        return self.ordering.out_of_order_us if self.event_time else 0

    def partition_watermark(self, state: _Partition) -> int:
        mark = state.max_event - self._out_of_order if state.max_event != NEVER else NEVER
        late = self._late
        if late is not None and state.last_arrival != NEVER:
            mark = max(mark, state.last_arrival - late)
        return mark

    def accept(self, partition: int, timestamp: int | None, arrival: int, item: Any) -> None:
        """Apply the late/early/out-of-order rules to one event and buffer it."""
        state = self.partitions.setdefault(partition, _Partition())
        state.last_arrival = max(state.last_arrival, arrival)
        if not self.event_time:
            timestamp = arrival
        counters = self.counters
        if timestamp is None:
            counters.no_timestamp += 1
            return
        if self.event_time:
            if timestamp > arrival + EARLY_ARRIVAL_LIMIT:
                counters.early_dropped += 1
                return
            late = self._late
            if late is not None and timestamp < arrival - late:
                if self.ordering.out_of_order_policy == "Drop":
                    counters.late_dropped += 1
                    return
                timestamp = arrival - late
                counters.late_adjusted += 1
            mark = state.max_event - self._out_of_order if state.max_event != NEVER else NEVER
            if timestamp < mark:
                if self.ordering.out_of_order_policy == "Drop":
                    counters.out_of_order_dropped += 1
                    return
                timestamp = mark
                counters.out_of_order_adjusted += 1
        state.max_event = max(state.max_event, timestamp)
        counters.accepted += 1
        self._sequence += 1
        heapq.heappush(state.buffer, (timestamp, self._sequence, item))

    def accept_many(self, entries: Iterable[tuple[int, int | None, int, Any]]) -> None:
        """`accept` for (partition, timestamp, arrival, item) entries, in arrival order."""
        accept = self.accept
        for partition, timestamp, arrival, item in entries:
            accept(partition, timestamp, arrival, item)

    def accept_columns(
        self, partitions: list[int], timestamps: list[int | None], arrivals: list[int], items: list[Any]
    ) -> None:
        """`accept` for a whole batch in arrival order, with numpy: the same rules, decisions and counters.

        Per partition the out-of-order mark is the running maximum of the accepted event times before
        each event (an adjusted or dropped event never raises it, being below the mark already).
        """
        size = len(items)
        if not size:
            return
        counters = self.counters
        arrival = np.array(arrivals, dtype=np.int64)
        part = np.array(partitions, dtype=np.int64)
        if self.event_time:
            present = np.fromiter((t is not None for t in timestamps), dtype=bool, count=size)
            time = np.fromiter((0 if t is None else t for t in timestamps), dtype=np.int64, count=size)
        else:
            present = np.ones(size, dtype=bool)
            time = arrival.copy()
        keep = present.copy()
        counters.no_timestamp += int(size - present.sum())
        drop = self.ordering.out_of_order_policy == "Drop"
        if self.event_time:
            early = keep & (time > arrival + EARLY_ARRIVAL_LIMIT)
            counters.early_dropped += int(early.sum())
            keep &= ~early
            late_us = self._late
            if late_us is not None:
                late = keep & (time < arrival - late_us)
                if drop:
                    counters.late_dropped += int(late.sum())
                    keep &= ~late
                else:
                    counters.late_adjusted += int(late.sum())
                    time = np.where(late, arrival - late_us, time)
        out_of_order = self._out_of_order
        for number in np.unique(part).tolist():
            state = self.partitions.setdefault(number, _Partition())
            where = np.flatnonzero(part == number)
            state.last_arrival = max(state.last_arrival, int(arrival[where].max()))
            where = where[keep[where]]
            if not where.size:
                continue
            times = time[where]
            running = np.maximum.accumulate(np.concatenate(([state.max_event], times)))
            before = running[:-1]
            mark = np.where(before != NEVER, before - out_of_order, NEVER)
            late = times < mark if self.event_time else np.zeros(where.size, dtype=bool)
            if drop:
                counters.out_of_order_dropped += int(late.sum())
                keep[where[late]] = False
            else:
                counters.out_of_order_adjusted += int(late.sum())
                time[where] = np.where(late, mark, times)
            state.max_event = max(state.max_event, int(running[-1]))
        sequence = np.cumsum(keep) + self._sequence
        accepted = int(keep.sum())
        counters.accepted += accepted
        self._sequence += accepted
        for number in np.unique(part[keep]).tolist():
            where = np.flatnonzero(keep & (part == number))
            buffer = self.partitions[number].buffer
            buffer.extend(
                zip(
                    time[where].tolist(),
                    sequence[where].tolist(),
                    [items[i] for i in where.tolist()],
                    strict=True,
                )
            )
            heapq.heapify(buffer)

    def advance_clock(self, now: int) -> None:
        """Idle progress: every partition's arrival clock moves to `now` (watermark then `now - L`)."""
        for state in self.partitions.values():
            state.last_arrival = max(state.last_arrival, now)

    def advance_partitions(self, arrivals: Mapping[int, int]) -> None:
        """Idle progress of some partitions only: partition -> its estimated arrival clock (microseconds).

        For a reader of a log (Kafka, Event Hubs) a partition is idle only when its backlog is read; the
        caller estimates its clock as the documented "last arrival time plus the time elapsed since that
        event was seen". Partitions this input does not know yet are left out (they hold nothing back).
        """
        for number, now in arrivals.items():
            state = self.partitions.get(number)
            if state is not None:
                state.last_arrival = max(state.last_arrival, now)

    def release(self, flush: bool = False) -> list[tuple[int, Any]]:
        """Events the watermark has passed (all of them when flushing), sorted by time, then arrival."""
        released: list[tuple[int, int, Any]] = []
        for state in self.partitions.values():
            limit = self.partition_watermark(state)
            buffer = state.buffer
            if buffer and (flush or state.max_event <= limit):
                released.extend(sorted(buffer))  # everything goes (always so when O = 0)
                buffer.clear()
            while buffer and buffer[0][0] <= limit:
                released.append(heapq.heappop(buffer))
        marks = [self.partition_watermark(s) for s in self.partitions.values()]
        if marks:
            self.watermark = max(self.watermark, min(marks))
        released.sort()  # by time, then arrival sequence (unique: the events are never compared)
        return [(timestamp, item) for timestamp, _, item in released]

    def pending(self) -> int:
        return sum(len(state.buffer) for state in self.partitions.values())

    # -- state ------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "watermark": self.watermark,
            "sequence": self._sequence,
            "counters": vars(self.counters).copy(),
            "partitions": {
                str(p): {
                    "max_event": s.max_event,
                    "last_arrival": s.last_arrival,
                    "buffer": [list(e) for e in s.buffer],
                }
                for p, s in self.partitions.items()
            },
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.watermark = state["watermark"]
        self._sequence = state["sequence"]
        self.counters = OrderingCounters(**state["counters"])
        self.partitions = {
            int(p): _Partition(s["max_event"], s["last_arrival"], [tuple(e) for e in s["buffer"]])
            for p, s in state["partitions"].items()
        }
        for s in self.partitions.values():
            heapq.heapify(s.buffer)
