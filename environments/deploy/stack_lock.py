"""One local stack per rendered folder: `build/<env>/` holds the rendered ASA project and endpoint URL that
every process of a stack reads, so a second stack in the same checkout (another state folder and ports)
would overwrite the first's and each would read the other's endpoint. The stack that starts first holds an
exclusive lock on `build/<env>/stack.lock` for its whole life; a second one is refused in one line naming
the first's process and state folder. The lock is the kernel's (`flock`): it goes with the process,
however the process ends, and no child inherits it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from environments.errors import EnvironmentsError

LOCK_FILE = "stack.lock"


class StackInUseError(EnvironmentsError):
    """Another local stack of this checkout holds the rendered folder."""


@contextmanager
def hold_rendered_folder(build: Path, state_dir: Path) -> Iterator[None]:
    """Hold `build/<env>/stack.lock` while the block runs; raise StackInUseError if another stack holds it."""
    build.mkdir(parents=True, exist_ok=True)
    path = build / LOCK_FILE
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StackInUseError(
                f"{build} is in use by the local stack of {holder}: one stack per checkout (a second "
                "would read the first's rendered endpoint URL); stop that stack first"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} (state folder {state_dir})\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
