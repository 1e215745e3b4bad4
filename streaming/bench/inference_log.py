"""The inference log in the benchmark: the real local collector (started by its command line,
`python -m monitoring collector`), the scoring stand-in's telemetry settings, and what was logged."""

from __future__ import annotations

import json
import secrets
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from environments.local_secrets import COLLECTOR_IKEY_VARIABLE, COLLECTOR_KEY_VARIABLE
from environments.standins import ManagedProcess, free_port, http_ok
from environments.standins.well_known import DEVELOPMENT_IKEY
from environments.telemetry_variables import CONNECTION_STRING_VAR, SAMPLING_RATIO_VAR, SPOOL_DIR_VAR
from monitoring.drift.local_pipeline import collector_connection_string
from monitoring.telemetry.records import is_sampled

REPO = Path(__file__).resolve().parents[2]


@dataclass
class InferenceLogCollector:
    """A running collector with its own store; it keeps telemetry of `DEVELOPMENT_IKEY` (what
    `collector_connection_string` sends) and answers queries with `query_key`."""

    process: ManagedProcess
    port: int
    query_key: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logged(self) -> int:
        """Inference rows stored so far."""
        request = urllib.request.Request(
            f"{self.url}/query/count?type=event&name=inference",
            headers={"Authorization": f"Bearer {self.query_key}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # loopback collector
            return int(json.load(response)["count"])

    def scoring_env(self, sampling_ratio: float, spool: Path) -> dict[str, str]:
        """Variables that make the scoring stand-in log every scored row (at `sampling_ratio`) here."""
        return {
            CONNECTION_STRING_VAR: collector_connection_string(self.url),
            SAMPLING_RATIO_VAR: repr(sampling_ratio),
            SPOOL_DIR_VAR: str(spool),
            "PYTHONPATH": str(REPO),  # monitoring.telemetry, as the deployed code folder holds it
        }

    def wait_logged(self, expected: int, timeout_s: float) -> tuple[int, float]:
        """Poll until `expected` rows are stored or the count stops growing for 30 s (then short).

        Returns the count and the monotonic time it was first seen."""
        deadline = time.monotonic() + timeout_s
        last, changed = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = self.logged()
            now = time.monotonic()
            if count >= expected:
                return count, now
            if count != last:
                last, changed = count, now
            elif now - changed > 30:
                break
            time.sleep(0.2)
        return max(last, 0), time.monotonic()

    def stop(self) -> None:
        self.process.stop()


def start_collector(state: Path, timeout_s: float = 30.0) -> InferenceLogCollector:
    """The collector on a free loopback port, storing in `state/telemetry.sqlite`."""
    port = free_port()
    query_key = secrets.token_urlsafe(24)
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
            str(state / "telemetry.sqlite"),
        ],
        log_path=state / "collector.log",
        cwd=REPO,
        env={COLLECTOR_IKEY_VARIABLE: DEVELOPMENT_IKEY, COLLECTOR_KEY_VARIABLE: query_key},
    ).start()
    process.wait_ready(lambda: http_ok(f"http://127.0.0.1:{port}/health"), timeout_s)
    return InferenceLogCollector(process, port, query_key)


def promised_rows(row_ids: list[str], sampling_ratio: float) -> int:
    """How many of these rows the sampling rate keeps (deterministic per row id)."""
    return sum(1 for row_id in row_ids if is_sampled(row_id, sampling_ratio))
