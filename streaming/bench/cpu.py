"""CPU time of the benchmark's processes, so figures can be read apart from other load on the machine.

Wall-clock rates on a shared machine fall when other work runs; CPU seconds spent per event do not.
The stand-ins run in their own process groups: a group's CPU time is the sum over its live processes
(Linux `/proc`; unavailable elsewhere).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def group_cpu_seconds(group: int) -> float | None:
    """User + system CPU seconds of the live processes in process group `group`; None without /proc."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # After the command: state ppid pgrp session ... utime (12th) stime (13th).
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def own_cpu_seconds() -> float:
    """CPU seconds of this process, all threads (the runtime's, the Kafka client's)."""
    return time.process_time()
