"""Output rows as the bytes the sinks write: one compact JSON line per row, and the partition key of
Event Hub outputs that have one.

Done on the engine's thread, from the engine's columns (`Table.json_lines`: each row is encoded as
soon as it is built, while it is in the core's cache; encoding kept rows, or rows built on another
thread, was several times slower). Outputs fed by the same step share one table, encoded once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from streaming.engine import OutputBatch


class EncodedBatch(NamedTuple):
    output: str
    lines: list[bytes]
    keys: list[bytes | None] | None
    """Partition key per row (Event Hub outputs with a partition key column), else None."""
    timestamps_us: list[int]


def encode_batches(
    batches: Iterable[OutputBatch], partition_keys: Mapping[str, str | None]
) -> list[EncodedBatch]:
    """Encode every batch; `partition_keys` names the key column of each output that has one."""
    result = []
    for batch in batches:
        column = partition_keys.get(batch.output)
        keys = None
        if column:
            keys = [
                None if key is None else str(key).encode("utf-8") for key in batch.rows.json_column(column)
            ]
        result.append(EncodedBatch(batch.output, batch.json_lines(), keys, batch.timestamps_us))
    return result
