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
    with _hold(
        build,
        f"process {os.getpid()} (state folder {state_dir})",
        "one stack per checkout (a second would read the first's rendered endpoint URL)",
    ):
        yield


@contextmanager
def hold_for_render(build: Path) -> Iterator[None]:
    """Hold the same lock while `python -m environments render` rewrites `build/<env>/`: a running stack
    reads its rendered files (the ASA project, the endpoint URL), so rendering under it is refused."""
    with _hold(
        build,
        f"process {os.getpid()} (render)",
        "rendering would rewrite the files that stack is reading; render into --out DIR instead",
    ):
        yield


@contextmanager
def _hold(build: Path, holder: str, why: str) -> Iterator[None]:
    lock = ExitStack()
    try:
        lock.enter_context(exclusive_lock(build / LOCK_FILE, holder))
    except LockBusyError as exc:
        raise StackInUseError(
            f"{build} is in use by the local stack of {exc.holder}: {why}; stop that stack first"
        ) from exc
    with lock:
        yield
