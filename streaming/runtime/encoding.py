"""Output rows as the bytes the sinks write: one compact JSON line per row, and the partition key of
Event Hub outputs that have one.

Done on the engine's thread, right after the engine built the rows: they are still in that core's
cache there, while reading them on the writer's thread (and updating their reference counts) made
encoding several times slower. Outputs fed by the same step share one list of rows, encoded once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import repeat
from typing import Any, NamedTuple

import orjson

from streaming.engine import OutputBatch


class EncodedBatch(NamedTuple):
    output: str
    lines: list[bytes]
    keys: list[bytes | None] | None
    """Partition key per row (Event Hub outputs with a partition key column), else None."""
    timestamps_us: list[int]


def json_line(payload: dict[str, Any]) -> bytes:
    """One row as compact UTF-8 JSON (NaN and infinities become null, as JSON has no such numbers)."""
    return orjson.dumps(payload)


def encode_batches(
    batches: Iterable[OutputBatch], partition_keys: Mapping[str, str | None]
) -> list[EncodedBatch]:
    """Encode every batch; `partition_keys` names the key column of each output that has one."""
    encoded: dict[int, list[bytes]] = {}  # by the identity of a shared list of rows
    result = []
    for batch in batches:
        payloads = batch.payloads
        lines = encoded.get(id(payloads))
        if lines is None:
            lines = encoded[id(payloads)] = list(map(json_line, payloads))
        column = partition_keys.get(batch.output)
        keys = None
        if column:
            keys = [
                None if key is None else str(key).encode("utf-8")
                for key in map(dict.get, payloads, repeat(column))
            ]
        result.append(EncodedBatch(batch.output, lines, keys, batch.timestamps_us))
    return result
