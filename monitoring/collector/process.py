"""The collector as a child process: `python -m monitoring collector` on a free loopback port with its
own keys, waited for by polling /health, stopped by PID, and a client for its query API.

One owner for the tests (`monitoring/testing.py`), the export benchmark and the streaming benchmark;
it imports no test framework, so the benchmark sessions can use it.
"""

from __future__ import annotations

import json
import secrets
import sys
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from environments.local_secrets import COLLECTOR_IKEY_VARIABLE, COLLECTOR_KEY_VARIABLE, TELEMETRY_VARIABLE
from environments.standins import ManagedProcess, StandInError, free_port, http_ok

REPO = Path(__file__).resolve().parents[2]


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

    def get(self, path: str, timeout_s: float = 30.0) -> Any:
        """GET `path` (with its query string) with the query key; the decoded JSON answer."""
        request = urllib.request.Request(f"{self.url}{path}", headers=self.headers)
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # loopback collector
            return json.loads(response.read())

    def query(self, route: str, **params: str) -> list[dict[str, Any]]:
        """GET /query/<route> with the given parameters (use dim_<key> for dim.<key>); returns items."""
        return self.get(f"/query/{route}?{_query_string(params)}")["items"]

    def count(self, **params: str) -> int:
        """GET /query/count (same parameters as `query`): how many items match, without reading them."""
        return int(self.get(f"/query/count?{_query_string(params)}")["count"])

    def healthy(self) -> bool:
        return http_ok(f"{self.url}/health")

    def stop(self) -> None:
        self.process.stop()


def _query_string(params: dict[str, str]) -> str:
    return urllib.parse.urlencode(
        {"dim." + k[4:] if k.startswith("dim_") else k: v for k, v in params.items()}
    )


def start_collector(
    folder: Path,
    timeout_s: float = 30.0,
    port: int | None = None,
    ikey: str | None = None,
    refuse_roles: tuple[str, ...] = (),
) -> RunningCollector:
    """Start the collector (on a free port unless given) storing in `folder/telemetry.sqlite`, logging to
    `folder/collector.log`, and wait until /health answers.

    It accepts telemetry for `ikey` (a fresh one unless given); the keys are kept in `folder/keys.json`,
    so started again with the same `folder` and `port` it serves the same store at the same address with
    the same keys: an ingestion outage and its end, as the exporter sees them. `refuse_roles`: telemetry of
    these cloud roles is answered 403 as Application Insights answers an identity without the role to
    ingest (`--refuse-role`)."""
    port = port or free_port()
    keys_file = folder / "keys.json"
    if keys_file.exists():  # a restart on the same store keeps its keys
        kept_ikey, query_key = json.loads(keys_file.read_text())
        if ikey is not None and ikey != kept_ikey:
            raise StandInError(
                f"{keys_file}: the collector's store keeps another instrumentation key than the one asked for"
            )
        ikey = kept_ikey
    else:
        ikey, query_key = ikey or str(uuid.uuid4()), secrets.token_urlsafe(24)
        folder.mkdir(parents=True, exist_ok=True)
        keys_file.write_text(json.dumps([ikey, query_key]))
    db_path = folder / "telemetry.sqlite"
    process = ManagedProcess(
        name=f"collector on 127.0.0.1:{port}",
        argv=[
            sys.executable,
            "-m",
            "monitoring",
            "collector",
            "--port",
            str(port),
            "--db",
            str(db_path),
            *(argument for role in refuse_roles for argument in ("--refuse-role", role)),
        ],
        log_path=folder / "collector.log",
        env={COLLECTOR_IKEY_VARIABLE: ikey, COLLECTOR_KEY_VARIABLE: query_key},
        cwd=REPO,
    ).start()
    collector = RunningCollector(process, port, db_path, ikey, query_key)
    process.wait_ready(collector.healthy, timeout_s)
    return collector
