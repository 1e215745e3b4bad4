"""The inference log in the benchmark: the scoring stand-in's telemetry settings that point it at the
real local collector (`monitoring.collector.process.start_collector`), and what was logged there."""

from __future__ import annotations

import time
from pathlib import Path

from environments.telemetry_variables import CONNECTION_STRING_VAR, SAMPLING_RATIO_VAR, SPOOL_DIR_VAR
from monitoring.collector.process import REPO, RunningCollector, start_collector
from monitoring.telemetry.records import is_sampled

__all__ = ["promised_rows", "scoring_env", "start_collector", "wait_logged"]


def scoring_env(collector: RunningCollector, sampling_ratio: float, spool: Path) -> dict[str, str]:
    """Variables that make the scoring stand-in log every scored row (at `sampling_ratio`) to `collector`."""
    return {
        CONNECTION_STRING_VAR: collector.connection_string,
        SAMPLING_RATIO_VAR: repr(sampling_ratio),
        SPOOL_DIR_VAR: str(spool),
        "PYTHONPATH": str(REPO),  # monitoring.telemetry, as the deployed code folder holds it
    }


def wait_logged(collector: RunningCollector, expected: int, timeout_s: float) -> tuple[int, float]:
    """Poll until `expected` inference rows are stored or the count stops growing for 30 s (then short).

    Returns the count and the monotonic time it was first seen."""
    deadline = time.monotonic() + timeout_s
    last, changed = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = collector.count(type="event", name="inference")
        now = time.monotonic()
        if count >= expected:
            return count, now
        if count != last:
            last, changed = count, now
        elif now - changed > 30:
            break
        time.sleep(0.2)
    return max(last, 0), time.monotonic()


def promised_rows(row_ids: list[str], sampling_ratio: float) -> int:
    """How many of these rows the sampling rate keeps (deterministic per row id)."""
    return sum(1 for row_id in row_ids if is_sampled(row_id, sampling_ratio))
