"""The scoring endpoint's local stand-in: the real azmlinfsrv serving a score.py, bound to 127.0.0.1.

azmlinfsrv binds 0.0.0.0 with no option to change it; `python -m streaming.bench.scoring_standin ARGS`
runs it with the host set to loopback (same arguments as `azmlinfsrv`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from environments.standins import ManagedProcess, free_port

LOOPBACK = "127.0.0.1"
STAND_IN_SCORE_SCRIPT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "score.py"
"""A small score.py with the contract's request and reply shape, for tests and the benchmark."""


@dataclass
class ScoringServer:
    """A running azmlinfsrv on loopback."""

    process: ManagedProcess
    port: int

    @property
    def scoring_uri(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/score"

    @property
    def swagger_uri(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/swagger.json"

    def stop(self) -> None:
        self.process.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def start_scoring_server(
    entry_script: Path, state_dir: Path, port: int | None = None, workers: int = 1, timeout_s: float = 60.0
) -> ScoringServer:
    """Start azmlinfsrv serving `entry_script` on 127.0.0.1 and wait until its swagger answers."""
    port = port or free_port()
    process = ManagedProcess(
        name=f"scoring server (azmlinfsrv, {entry_script.name}) on {LOOPBACK}:{port}",
        argv=[
            sys.executable,
            "-m",
            "streaming.bench.scoring_standin",
            "--entry_script",
            str(entry_script.resolve()),
            "--port",
            str(port),
            "--worker_count",
            str(workers),
        ],
        log_path=state_dir / "logs" / f"scoring-{port}.log",
        env={"MLFLOW_DISABLE_TELEMETRY": "true", "AZUREML_LOG_LEVEL": "WARNING"},
        cwd=Path(__file__).resolve().parents[2],
    ).start()
    process.wait_ready(lambda: _answers(f"http://{LOOPBACK}:{port}/swagger.json"), timeout_s)
    return ScoringServer(process=process, port=port)


def main() -> None:
    """Run azmlinfsrv with its host constant set to loopback before its modules read it."""
    from azureml_inference_server_http import constants

    constants.DEFAULT_HOST = LOOPBACK
    from azureml_inference_server_http import amlserver

    sys.argv = ["azmlinfsrv", *sys.argv[1:]]
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    amlserver.run()


if __name__ == "__main__":
    main()
