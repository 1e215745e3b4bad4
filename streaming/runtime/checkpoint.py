"""The checkpoint: engine state, next input offsets and the output cycle number, written atomically.

Written after a cycle's outputs are durable and before the offsets are committed to the broker; a
restart restores the engine from it and resumes every partition at its offset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from environments.atomic_files import write_json_atomically
from streaming.runtime.errors import CheckpointError

CHECKPOINT_VERSION = 1


@dataclass
class Checkpoint:
    query_sha: str
    offsets: dict[int, int] = field(default_factory=dict)
    """Next offset to read, per partition of the input topic."""
    sequence: int = 0
    """Number of the next output cycle (names the next blobs)."""
    engine: dict[str, Any] | None = None
    topic_id: str | None = None
    """The input topic's id when the offsets were saved (None: the broker has no topic ids)."""


def write_atomically(path: Path, body: Any) -> None:
    """Write JSON to `path` so that a crash leaves either the old or the new file (write, fsync, rename)."""
    try:
        write_json_atomically(path, body)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot write: {exc}") from exc


class FileCheckpointStore:
    """A JSON file replaced atomically, plus a journal of the blobs of the cycle in flight.

    The journal (`<checkpoint>.pending.json`) lists the blobs a cycle is about to write; it is removed
    once that cycle's checkpoint is saved. Found at start, it names blobs of a cycle whose events will
    be read again: they are deleted, so the replay cannot leave the same rows twice.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending_path = path.with_name(path.name + ".pending.json")

    def pending_blobs(self) -> list[tuple[str, str]]:
        if not self.pending_path.exists():
            return []
        try:
            return [(c, n) for c, n in json.loads(self.pending_path.read_text(encoding="utf-8"))]
        except (OSError, ValueError) as exc:
            raise CheckpointError(
                f"{self.pending_path}: cannot read the pending-blob journal: {exc}"
            ) from exc

    def begin(self, blobs: list[tuple[str, str]]) -> None:
        write_atomically(self.pending_path, blobs)

    def end(self) -> None:
        self.pending_path.unlink(missing_ok=True)

    def load(self) -> Checkpoint | None:
        if not self.path.exists():
            return None
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if raw.get("version") != CHECKPOINT_VERSION:
                raise CheckpointError(
                    f"{self.path}: version {raw.get('version')!r}, expected {CHECKPOINT_VERSION}"
                )
            return Checkpoint(
                query_sha=raw["query_sha"],
                offsets={int(p): int(o) for p, o in raw["offsets"].items()},
                sequence=int(raw["sequence"]),
                engine=raw["engine"],
                topic_id=raw.get("topic_id"),
            )
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            raise CheckpointError(f"{self.path}: cannot read the checkpoint: {exc}") from exc

    def save(self, checkpoint: Checkpoint) -> None:
        body = {
            "version": CHECKPOINT_VERSION,
            "query_sha": checkpoint.query_sha,
            "offsets": {str(p): o for p, o in sorted(checkpoint.offsets.items())},
            "sequence": checkpoint.sequence,
            "engine": checkpoint.engine,
            "topic_id": checkpoint.topic_id,
        }
        write_atomically(self.path, body)
