"""The benchmark's CPU accounting: a process group's CPU time, and rates per CPU-second."""

from __future__ import annotations

import os
import sys

import pytest

from streaming.bench.cpu import group_cpu_seconds
from streaming.cli.bench import cpu_records, spent


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_own_process_group_has_spent_cpu() -> None:
    first = group_cpu_seconds(os.getpgrp())
    sum(i * i for i in range(300_000))
    second = group_cpu_seconds(os.getpgrp())
    assert first is not None and second is not None
    assert second >= first > 0


def test_rates_per_cpu_second_and_missing_readings() -> None:
    used = spent({"runtime": 1.0, "endpoint": 2.0}, {"runtime": 3.0, "endpoint": 2.5})
    assert used == {"runtime": 2.0, "endpoint": 0.5}
    records = {r["name"]: r for r in cpu_records(1000, used, 4000.0, {"endpoint": 2.0}, {})}
    assert records["runtime_events_per_cpu_second"]["value"] == 500
    assert records["pipeline_events_per_cpu_second"]["value"] == 400
    assert records["endpoint_rows_per_cpu_second"]["value"] == 2000
    assert records["runtime_events_per_cpu_second"]["ratio"] == 0.25
    assert spent({"broker": None}, {"broker": 1.0}) == {"broker": None}
    assert cpu_records(1000, {"runtime": 2.0, "broker": None}, 4000.0, {"endpoint": 2.0}, {}) == []
