"""pytest fixtures and helpers of the monitoring domain, shared with every domain's tests.

Registered for the whole repository by the root `conftest.py`.

- `collector` (session): the real local Application Insights collector (`python -m monitoring collector`)
  on a free loopback port with its own instrumentation and query keys; `.connection_string` points the
  real Azure Monitor exporter at it, `.query(route, **params)` reads the query API (with the key),
  `.environment` gives a command both. `start_collector(folder)` starts another one (its owner:
  `monitoring/collector/process.py`).
- `run_sender(spec, connection_string)`: records and metrics sent by the real exporter in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitoring.collector.process import RunningCollector, start_collector

__all__ = [
    "DRIFT_SCENARIOS",
    "RunningCollector",
    "collector",
    "drift_test_table",
    "run_sender",
    "start_collector",
]


@pytest.fixture(scope="session")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """The real local collector for the whole test session, stopped by PID at the end."""
    running = start_collector(tmp_path_factory.mktemp("collector"))
    yield running
    running.stop()


# --- Telemetry through the real exporter ------------------------------------------------------------
SEND = """
import json, sys
from monitoring.telemetry import configure_telemetry
telemetry = configure_telemetry("score-test")
print(json.dumps({"enabled": telemetry.enabled}), flush=True)
spec = json.loads(sys.argv[1])
sent = telemetry.log_inferences(spec["records"])
for metric in spec["metrics"]:
    telemetry.emit_metric(metric["name"], metric["value"], metric["dimensions"])
telemetry.flush()
print(json.dumps({"sent": sent}), flush=True)
"""


def run_sender(spec: dict, connection_string: str | None) -> subprocess.CompletedProcess[str]:
    """Send `spec` ({"records": [...], "metrics": [{"name", "value", "dimensions"}]}) through the real
    Azure Monitor exporter (`monitoring.telemetry`) in a fresh process: its providers are process-global."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPLICATIONINSIGHTS_", "STREAMSCORE_"))}
    if connection_string is not None:
        env["APPLICATIONINSIGHTS_CONNECTION_STRING"] = connection_string
    env["OTEL_METRIC_EXPORT_INTERVAL"] = "600000"  # only the explicit flush exports
    return subprocess.run(
        [sys.executable, "-c", SEND, json.dumps(spec)],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


# --- Drift test data -------------------------------------------------------------------------------
# Scored transactions for the drift, alert and retraining tests: `monitoring.bench.data` (the same data
# the drift benchmark uses). It mirrors the named drift scenarios of the ML data generator
# (scenario -> affected features, as documented in `ml/data/generator.py`) without importing the ml domain.
from monitoring.bench.data import DRIFT_SCENARIOS, scored_table  # noqa: E402

drift_test_table = scored_table
"""`drift_test_table(schema, rows, seed, scenario=None)`: a pyarrow table of scored records (features + score)."""
