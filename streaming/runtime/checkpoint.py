"""The checkpoint: engine state, next input offsets and the output cycle number, written atomically.

Written after a cycle's outputs are durable and before the offsets are committed to the broker; a
restart restores the engine from it and resumes every partition at its offset.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


class FileCheckpointStore:
    """A JSON file replaced atomically (write, fsync, rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path

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
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("w", encoding="utf-8") as handle:
                json.dump(body, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            raise CheckpointError(f"{self.path}: cannot write the checkpoint: {exc}") from exc
