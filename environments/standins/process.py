"""A child process on loopback: start, wait until ready by polling with a deadline, stop by PID.

Each child leads its own process group (its own session), so a stop reaches the workers it forked and
a Ctrl-C in the terminal reaches only the command that owns it, which then stops it. A child started
with `die_with_parent` also gets SIGTERM from the kernel when its parent dies, however it dies
(Linux `PR_SET_PDEATHSIG`), so a killed supervisor leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from environments.errors import EnvironmentsError


class StandInError(EnvironmentsError):
    """A local stand-in could not be started or did not become ready."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str, timeout_s: float = 1.0) -> bool:
    """True when a GET of `url` answers 200 (a readiness check for HTTP stand-ins)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # loopback stand-ins only
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_until(check: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.05) -> None:
    """Poll `check` until it returns True; raise StandInError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval_s)
    raise StandInError(f"{what}: not ready after {timeout_s:.0f} s")


_PR_SET_PDEATHSIG = 1

PLAIN_VARIABLES = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "TERM",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
)
"""What a child started with `inherit_environment=False` still gets from ours: none of them a secret."""


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Ask the kernel to send `signum` to this process when its parent dies (Linux; elsewhere a no-op).

    If the parent died while asking (we were reparented meanwhile), exit now instead.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def stop_processes(
    processes: Sequence[ManagedProcess], timeout_s: float = 10.0, in_order: bool = False
) -> None:
    """Stop several children under one deadline: SIGTERM (to every group at once, or with `in_order`
    one after the other, each once the previous has exited), then SIGKILL to what is left when the
    deadline passes (to each group too, so workers a child forked do not outlive it).

    In order lets a consumer finish while what it talks to is still up: the streaming runtime flushes
    to the broker before the broker goes."""
    started = [p for p in processes if p.process is not None]
    deadline = time.monotonic() + timeout_s
    for process in started:
        process.signal_group(signal.SIGTERM)
        while in_order and process.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    while any(p.alive() for p in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    for process in started:
        process.signal_group(signal.SIGKILL)
        if process.process is not None:
            process.process.wait(timeout=timeout_s)


@dataclass
class ManagedProcess:
    """A started child process with its log file; `stop()` ends its whole process group."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    die_with_parent: bool = False
    inherit_environment: bool = True
    """False: the child gets `env` and `PLAIN_VARIABLES` only, none of our secrets (keys, connection strings)."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                list(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**self._inherited(), **(self.env or {})},
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=die_with_parent if self.die_with_parent else None,
            )
        except OSError as exc:
            raise StandInError(f"{self.name}: cannot start {self.argv[0]}: {exc}") from exc
        finally:
            log.close()
        return self

    def _inherited(self) -> dict[str, str]:
        if self.inherit_environment:
            return dict(os.environ)
        return {name: os.environ[name] for name in PLAIN_VARIABLES if name in os.environ}

    @property
    def pid(self) -> int:
        if self.process is None:
            raise StandInError(f"{self.name}: not started")
        return self.process.pid

    def wait(self) -> int:
        """Wait until the child exits; its exit code."""
        if self.process is None:
            raise StandInError(f"{self.name}: not started")
        return self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, check: Callable[[], bool], timeout_s: float = 30.0) -> None:
        def ready() -> bool:
            if not self.alive():
                raise StandInError(f"{self.name} exited early; its log:\n{self.log_tail()}")
            return check()

        try:
            wait_until(ready, timeout_s, self.name)
        except BaseException:  # not ready, or interrupted while waiting: never leave it running
            self.stop()
            raise

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def signal_group(self, signum: int) -> None:
        """Send `signum` to the child's process group (a group with no process left is fine)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        stop_processes([self], timeout_s)
