"""What the local endpoint's deployments answered: the router's measurements for the rollout.

One entry per scoring request the router forwarded (live) or copied (mirrored): when it ended, the
deployment, the status (502 when no answer came) and the latency: the time the deployment reports
for its run() (azmlinfsrv's `x-ms-run-fn-exec-ms`), else the router's round trip. `window(since)` sums
them per deployment, live and mirrored apart, as `GET /-/metrics?since=<unix time>` returns them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from ml.serving.rollout_policy import p99

MAX_ENTRIES = 200_000


class RequestLog:
    """A bounded, thread-safe log of answered requests."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: deque[tuple[float, str, int, float, bool]] = deque(maxlen=max_entries)
        self.mirror_dropped = 0

    def record(self, name: str, status: int, latency_ms: float, mirrored: bool) -> None:
        with self._lock:
            self._entries.append((time.time(), name, status, latency_ms, mirrored))

    def dropped(self) -> None:
        """A mirrored copy not sent because the copies in flight were at their limit."""
        with self._lock:
            self.mirror_dropped += 1

    def window(self, since: float) -> dict[str, Any]:
        """Per deployment, live and mirrored: requests, errors (5xx) and p99 latency since `since`."""
        with self._lock:
            entries = [entry for entry in self._entries if entry[0] >= since]
            dropped = self.mirror_dropped
        latencies: dict[tuple[str, str], list[float]] = {}
        errors: dict[tuple[str, str], int] = {}
        for _, name, status, latency_ms, mirrored in entries:
            key = (name, "mirrored" if mirrored else "live")
            latencies.setdefault(key, []).append(latency_ms)
            errors[key] = errors.get(key, 0) + (status >= 500)
        deployments: dict[str, dict[str, Any]] = {}
        for (name, kind), values in sorted(latencies.items()):
            deployments.setdefault(name, {})[kind] = {
                "requests": len(values),
                "errors": errors[(name, kind)],
                "p99_ms": p99(values),
            }
        return {"deployments": deployments, "mirror_dropped": dropped}
