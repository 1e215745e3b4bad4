"""One local stack per rendered folder: `build/<env>/` holds the rendered ASA project and endpoint URL that
every process of a stack reads, so a second stack in the same checkout (another state folder and ports)
would overwrite the first's and each would read the other's endpoint. The stack that starts first holds an
exclusive lock on `build/<env>/stack.lock` for its whole life; a second one is refused in one line naming
the first's process and state folder. The lock is the kernel's (`flock`): it goes with the process,
however the process ends, and no child inherits it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from environments.errors import EnvironmentsError
from environments.file_lock import LockBusyError, exclusive_lock

LOCK_FILE = "stack.lock"


class StackInUseError(EnvironmentsError):
    """Another local stack of this checkout holds the rendered folder."""


@contextmanager
def hold_rendered_folder(build: Path, state_dir: Path) -> Iterator[None]:
    """Hold `build/<env>/stack.lock` while the block runs; raise StackInUseError if another stack holds it."""
    lock = ExitStack()
    try:
        lock.enter_context(
            exclusive_lock(build / LOCK_FILE, f"process {os.getpid()} (state folder {state_dir})")
        )
    except LockBusyError as exc:
        raise StackInUseError(
            f"{build} is in use by the local stack of {exc.holder}: one stack per checkout (a second "
            "would read the first's rendered endpoint URL); stop that stack first"
        ) from exc
    with lock:
        yield
