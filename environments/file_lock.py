"""An exclusive lock on a file (the kernel's `flock`) naming its holder: goes with the holder's process
however it ends, and no child process inherits it. `local.state_dir` and `build/<env>/` use it so that
two commands changing the same thing take turns, and the one that waits (or is refused) can say who
holds it."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from environments.errors import EnvironmentsError

POLL_S = 0.2


class LockBusyError(EnvironmentsError):
    """The lock is held by someone else (`holder`: what the holder wrote, e.g. its process and task)."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"{path} is held by {holder}")


@contextmanager
def exclusive_lock(
    path: Path, holder: str, wait_s: float = 0.0, waiting: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold `path` while the block runs, writing `holder` into it. Busy: wait up to `wait_s` (calling
    `waiting(holder)` once first), then raise LockBusyError naming the holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                handle.seek(0)
                other = handle.read().strip() or "another process"
                if time.monotonic() >= deadline:
                    raise LockBusyError(path, other) from exc
                if waiting is not None and not told:
                    waiting(other)
                    told = True
                time.sleep(POLL_S)
        handle.seek(0)
        handle.truncate()
        handle.write(holder + "\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
