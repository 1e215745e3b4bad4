"""Whether a configured loopback port is free, and which process holds it when it is not.

The local loop uses fixed ports from the environment file (`local.*_port`): every domain's command line
reads them from there, so they are checked before anything starts and a taken one is a one-line error
naming the port, what it is for and the process listening on it (docs/decisions/local-ports.md).
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Mapping
from pathlib import Path

from environments.standins.process import StandInError

_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could not bind `host:port` now (someone listens on it, on any address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is not taken
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise StandInError(f"port {port} on {host}: cannot check it: {exc}") from exc
    return False


def _listening_inodes(port: int, proc: Path) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def port_holder(port: int, proc: Path = Path("/proc")) -> str | None:
    """`pid N (command line)` of a process listening on `port`, or None where that cannot be seen
    (not Linux, or the process belongs to another user)."""
    inodes = _listening_inodes(port, proc)
    if not inodes:
        return None
    sockets = {f"socket:[{inode}]" for inode in inodes}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            held = any(os.readlink(fd) in sockets for fd in (entry / "fd").iterdir())
            if held:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                command = " ".join(part.decode(errors="replace") for part in argv if part)
                return f"pid {entry.name} ({command[:120]})"
        except OSError:
            continue
    return None


def check_ports_free(ports: Mapping[int, str], hint: str = "") -> None:
    """Raise StandInError with one line per taken port: the port, what it is for (`ports[port]`), the
    process holding it if it can be found, and `hint` (how to choose another)."""
    lines = []
    for port, purpose in sorted(ports.items()):
        if port_taken(port):
            holder = port_holder(port)
            held_by = f"held by {holder}" if holder else "held by a process this user cannot see"
            lines.append(f"port {port} ({purpose}) is in use, {held_by}{hint}")
    if lines:
        raise StandInError("\n".join(lines))
