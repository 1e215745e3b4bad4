"""Which input partitions have no backlog, and their estimated arrival clocks (pure logic).

Stream Analytics generates a watermark per input partition ("Understand time handling in Azure Stream
Analytics", section "How time progresses", learn.microsoft.com/azure/stream-analytics/
stream-analytics-time-handling): with incoming events it follows their times; "When there's no
incoming event, the watermark is the current estimated arrival time minus the late arrival tolerance
window. The estimated arrival time is the time that has elapsed from the last time an input event was
seen plus that input event's arrival time." The arrival time is the broker's enqueue time
(`EventEnqueuedUtcTime`; the Kafka message timestamp here), which does not grow while a job falls behind.

For a reader of a log, "no incoming event" means that the partition's backlog is read: the next offset
to read is the broker's high watermark. While a backlog is read (a runtime started behind, or blocked by
an endpoint outage), the partition is not idle and its clock follows the enqueue times of the events
read, never the wall clock; otherwise windows would close before their events are read, and those
events would miss them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass
class PartitionProgress:
    """Where a reader is in each partition, and when it last saw an event there (microseconds)."""

    next_offsets: dict[int, int] = field(default_factory=dict)
    """The next offset to read per partition, from the events read or the reader's end-of-partition notice."""
    last_arrival_us: dict[int, int] = field(default_factory=dict)
    """The latest enqueue time read per partition."""
    seen_at_us: dict[int, int] = field(default_factory=dict)
    """The reader's wall clock when that event was read."""

    def read(self, partition: int, next_offset: int, arrival_us: int, now_us: int) -> None:
        """Events of `partition` up to `next_offset` were read at `now_us`, the latest enqueued at `arrival_us`."""
        self.next_offsets[partition] = next_offset
        if arrival_us >= self.last_arrival_us.get(partition, arrival_us):
            self.last_arrival_us[partition] = arrival_us
            self.seen_at_us[partition] = now_us

    def reached_end(self, partition: int, offset: int) -> None:
        """The reader found nothing after `offset` in `partition` (its end as the broker last said)."""
        self.next_offsets[partition] = max(self.next_offsets.get(partition, offset), offset)

    def forget(self, partitions: Iterable[int]) -> None:
        """Partitions (re)assigned: where the reader stands there is not known until it reads."""
        for partition in partitions:
            self.next_offsets.pop(partition, None)

    def idle_arrivals(self, high_watermarks: Mapping[int, int], now_us: int) -> dict[int, int]:
        """Partitions whose backlog is read -> their estimated arrival clock at `now_us`.

        `high_watermarks`: the broker's end offset per assigned partition, as last fetched (negative when
        not known yet: such a partition is not idle). A partition with no event read yet has no arrival
        time to start from; its clock is the reader's wall clock (it holds nothing back).
        """
        idle = {}
        for partition, high in high_watermarks.items():
            position = self.next_offsets.get(partition)
            if high < 0 or position is None or position < high:
                continue
            last = self.last_arrival_us.get(partition)
            idle[partition] = now_us if last is None else last + max(0, now_us - self.seen_at_us[partition])
        return idle
