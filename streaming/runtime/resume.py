"""Where a partition resumes after a restart: the checkpoint's offset checked against the broker (pure).

A checkpoint names the next offset to read per partition. It no longer fits the partition when the
broker lost its data (the in-memory local broker restarted, a topic deleted and created again: the
partition's end is now before the checkpoint) or retention removed events not read yet (the start is
now after it). Reading at such an offset either waits forever for events that never come (past the end)
or silently skips events; instead the runtime takes one documented decision:

- checkpoint past the partition's end (offset > high watermark): the partition was recreated, so none of
  its events were read: resume at the earliest available offset (the low watermark). Kafka consumers do
  the same with `auto.offset.reset=earliest`; Stream Analytics starts a job with no usable position at
  its output start time (job start modes "Now", "Custom", "When last stopped":
  https://learn.microsoft.com/azure/stream-analytics/start-job), and here every available event is new.
- checkpoint before the partition's start (offset < low watermark): events between the two were removed
  by retention before being read and cannot be recovered: resume at the low watermark and say how many.

- the topic's id (Kafka topic UUID, kept in the checkpoint) changed: the topic was deleted and created
  again, and offsets that still fit the new partitions' range would silently skip their first events:
  every partition resumes at the earliest available offset. When the id is known and unchanged, the
  partition's log is the one the checkpoint was taken on and the past-the-end rule is not applied: the
  local broker (Tansu) reports a high watermark that is too low after a produce of several events in one
  batch (the last batch's base offset + 1), which would otherwise read events a second time. Brokers
  without topic ids (None) rely on the watermarks alone.

Each decision is logged with the partition, the checkpoint's offset and the broker's range.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resume:
    """Where one partition resumes, and why when it is not the checkpoint's offset."""

    partition: int
    offset: int
    checkpoint_offset: int
    low: int
    high: int
    reason: str | None = None
    """None when the checkpoint's offset is used as it is."""

    @property
    def message(self) -> str:
        return (
            f"partition {self.partition}: checkpoint offset {self.checkpoint_offset}, broker's range "
            f"[{self.low}, {self.high}]: {self.reason}; resuming at offset {self.offset}"
        )


def resume_position(
    partition: int, checkpoint_offset: int, low: int, high: int, topic: str = "unknown"
) -> Resume:
    """Decide where `partition` resumes; `low`/`high` are its watermarks (first and next offset);
    `topic`: "recreated" (its id differs from the checkpoint's), "same" (same id) or "unknown"."""
    if topic == "recreated":
        reason = "the topic was recreated (its id changed); every available event is new"
        return Resume(partition, low, checkpoint_offset, low, high, reason)
    if checkpoint_offset > high and topic != "same":
        reason = (
            "past the end: the topic was recreated or the broker lost its data; every available event is new"
        )
        return Resume(partition, low, checkpoint_offset, low, high, reason)
    if checkpoint_offset < low:
        lost = low - checkpoint_offset
        reason = f"before the start: {lost} events were removed by retention before they were read"
        return Resume(partition, low, checkpoint_offset, low, high, reason)
    return Resume(partition, checkpoint_offset, checkpoint_offset, low, high)
