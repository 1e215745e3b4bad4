"""One owner for every child of a long-running command (`deploy local`, `ml serve local`).

Within `with Supervisor() as supervisor:` SIGTERM acts like Ctrl-C (KeyboardInterrupt), the command
itself gets SIGTERM when its parent dies (nox killed, terminal closed), and every child it started
through `supervisor.start(...)` is stopped on the way out, whatever the way out is: a return, an
error, SIGINT or SIGTERM; last started first, each once the one before it has exited, all within one
deadline after which what is left is killed. While the children are being stopped, further SIGINT/SIGTERM are ignored, so
a second Ctrl-C (or nox escalating) cannot cut the cleanup short and leave services holding ports.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from environments.standins.process import ManagedProcess, die_with_parent, stop_processes

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_TIMEOUT_S = 20.0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


class Supervisor:
    """Children started here are stopped together (one deadline, then SIGKILL) when the block ends."""

    def __init__(self, stop_timeout_s: float = STOP_TIMEOUT_S) -> None:
        self.stop_timeout_s = stop_timeout_s
        self.processes: list[ManagedProcess] = []
        self.cleanups: list[Callable[[], None]] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Supervisor:
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, _interrupt)
        die_with_parent(signal.SIGTERM)
        return self

    def start(self, process: ManagedProcess) -> ManagedProcess:
        """Start `process` (dying with this command if this command is killed) and own it."""
        process.die_with_parent = True
        self.processes.append(process)
        return process.start()

    def adopt(self, process: ManagedProcess) -> ManagedProcess:
        """Own a process that something else started (it is stopped with the others)."""
        self.processes.append(process)
        return process

    def on_exit(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` on the way out, before the owned processes are stopped (last added runs first)."""
        self.cleanups.append(cleanup)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        try:
            for cleanup in reversed(self.cleanups):
                try:
                    cleanup()
                except Exception:  # one failed cleanup must not leave the processes running
                    log.exception("cleanup %s failed", getattr(cleanup, "__name__", cleanup))
            # Last started first: consumers stop while what they use (broker, endpoint) is still up.
            stop_processes(list(reversed(self.processes)), self.stop_timeout_s, in_order=True)
        finally:
            for previous, handler in self._previous.items():
                signal.signal(previous, handler)
