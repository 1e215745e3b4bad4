"""pytest fixtures and helpers of the monitoring domain, shared with every domain's tests.

Registered for the whole repository by the root `conftest.py`.

- `collector` (session): the real local Application Insights collector (`python -m monitoring collector`)
  on a free loopback port with its own instrumentation and query keys; `.connection_string` points the
  real Azure Monitor exporter at it, `.query(route, **params)` reads the query API (with the key),
  `.environment` gives a command both.
- `run_sender(spec, connection_string)`: records and metrics sent by the real exporter in a subprocess.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from environments.local_secrets import COLLECTOR_IKEY_VARIABLE, COLLECTOR_KEY_VARIABLE, TELEMETRY_VARIABLE
from environments.standins import ManagedProcess, free_port, http_ok


@dataclass
class RunningCollector:
    """A collector process with its port, store, keys and the connection string that targets it."""

    process: ManagedProcess
    port: int
    db_path: Path
    ikey: str
    query_key: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connection_string(self) -> str:
        # The exporter appends "/v2.1/track" to IngestionEndpoint.
        return f"InstrumentationKey={self.ikey};IngestionEndpoint={self.url}/"

    @property
    def headers(self) -> dict[str, str]:
        """What a query needs: the collector's query key."""
        return {"Authorization": f"Bearer {self.query_key}"}

    @property
    def environment(self) -> dict[str, str]:
        """Variables that point a command at this collector: telemetry in, queries out."""
        return {TELEMETRY_VARIABLE: self.connection_string, COLLECTOR_KEY_VARIABLE: self.query_key}

    def get(self, path: str) -> Any:
        """GET `path` (with its query string) with the query key; the decoded JSON answer."""
        request = urllib.request.Request(f"{self.url}{path}", headers=self.headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def query(self, route: str, **params: str) -> list[dict[str, Any]]:
        """GET /query/<route> with the given parameters (use dim_<key> for dim.<key>); returns items."""
        query = urllib.parse.urlencode({_param(k): v for k, v in params.items()})
        return self.get(f"/query/{route}?{query}")["items"]

    def count(self, **params: str) -> int:
        """GET /query/count (same parameters as `query`): how many items match, without reading them."""
        query = urllib.parse.urlencode({_param(k): v for k, v in params.items()})
        return int(self.get(f"/query/count?{query}")["count"])

    def healthy(self) -> bool:
        return http_ok(f"{self.url}/health")

    def stop(self) -> None:
        self.process.stop()


def _param(key: str) -> str:
    return "dim." + key[4:] if key.startswith("dim_") else key


def start_collector(state_dir: Path, timeout_s: float = 30.0, port: int | None = None) -> RunningCollector:
    """Start `python -m monitoring collector` (on a free port unless given) and wait until /health answers.

    Started again with the same `state_dir` and `port`, it serves the same store at the same address:
    an ingestion outage and its end, as the exporter sees them."""
    port = port or free_port()
    db_path = state_dir / "collector" / "telemetry.sqlite"
    keys_file = state_dir / "collector" / "keys.json"
    if keys_file.exists():  # a restart on the same store keeps its keys
        ikey, query_key = json.loads(keys_file.read_text())
    else:
        ikey, query_key = str(uuid.uuid4()), secrets.token_urlsafe(24)
        keys_file.parent.mkdir(parents=True, exist_ok=True)
        keys_file.write_text(json.dumps([ikey, query_key]))
    process = ManagedProcess(
        name="collector",
        argv=[sys.executable, "-m", "monitoring", "collector", "--port", str(port), "--db", str(db_path)],
        log_path=state_dir / "collector" / "collector.log",
        env={COLLECTOR_IKEY_VARIABLE: ikey, COLLECTOR_KEY_VARIABLE: query_key},
        cwd=Path(__file__).resolve().parent.parent,
    ).start()
    collector = RunningCollector(process, port, db_path, ikey, query_key)
    process.wait_ready(collector.healthy, timeout_s)
    return collector


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
from monitoring.bench.data import DRIFT_SCENARIOS, scored_table  # noqa: E402, F401

drift_test_table = scored_table
"""`drift_test_table(schema, rows, seed, scenario=None)`: a pyarrow table of scored records (features + score)."""
