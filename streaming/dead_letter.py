"""The dead-letter record layout (docs/contracts.md, Dead letter): the one owner of its field names.

Two kinds of rows reach the dead-letter output, both with `rejection` naming the field and the rule:
- events the query rejects (`scoring.asaql`: the `Checked` step): the event's fields as read, plus
  `rejection` (the query's `SELECT *` shape, as Stream Analytics writes it);
- events rejected before the query, because no query can read them (not JSON, not UTF-8, NaN/Infinity,
  not an object, empty, an integer beyond bigint, no usable TIMESTAMP BY time or an early event): the
  original bytes (`event` as text, or `event_base64` where they are not UTF-8), `rejection`, the input
  `partition` and `offset`, and `enqueued_time` (the broker's timestamp). The local runtime writes these;
  Stream Analytics drops such events and reports them in the job's resource logs (data errors).
"""

from __future__ import annotations

import base64
from typing import Any, NamedTuple

from streaming.engine.values import format_datetime, micros_to_datetime

REJECTION = "rejection"
"""The column naming the field and the failed rule (the query's `Checked` step adds it too)."""
EVENT = "event"
EVENT_BASE64 = "event_base64"
PARTITION = "partition"
OFFSET = "offset"
ENQUEUED_TIME = "enqueued_time"


class RejectedEvent(NamedTuple):
    """An input event rejected before the query, with where it was read."""

    partition: int
    offset: int
    value: bytes | None
    arrival_us: int
    reason: str

    def record(self) -> dict[str, Any]:
        """The dead-letter row: the original bytes (text, or base64 where not UTF-8) and the reason."""
        row: dict[str, Any] = {REJECTION: self.reason, PARTITION: self.partition, OFFSET: self.offset}
        try:
            row[EVENT] = (self.value or b"").decode("utf-8")
        except UnicodeDecodeError:
            row[EVENT_BASE64] = base64.b64encode(self.value or b"").decode("ascii")
        row[ENQUEUED_TIME] = format_datetime(micros_to_datetime(self.arrival_us))
        return row


def original_bytes(row: dict[str, Any]) -> bytes:
    """The original event of a dead-letter row written before the query (`RejectedEvent.record`)."""
    if EVENT_BASE64 in row:
        return base64.b64decode(row[EVENT_BASE64])
    return str(row[EVENT]).encode("utf-8")
