"""The scoring endpoint's local stand-in: the real azmlinfsrv serving a small score.py of the contract's
shape, bound to 127.0.0.1 (through `environments.standins.azmlinfsrv_argv`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from environments.standins import ManagedProcess, azmlinfsrv_argv, free_port, http_ok

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


def start_scoring_server(
    entry_script: Path,
    state_dir: Path,
    port: int | None = None,
    workers: int = 1,
    timeout_s: float = 60.0,
    extra_env: dict[str, str] | None = None,
) -> ScoringServer:
    """Start azmlinfsrv serving `entry_script` on 127.0.0.1 and wait until its swagger answers.

    `extra_env` adds variables (the benchmark's inference-log settings, for example)."""
    port = port or free_port()
    process = ManagedProcess(
        name=f"scoring server (azmlinfsrv, {entry_script.name}) on {LOOPBACK}:{port}",
        argv=azmlinfsrv_argv(entry_script.name, port, workers=workers),
        log_path=state_dir / "logs" / f"scoring-{port}.log",
        env={
            "AML_APP_ROOT": str(entry_script.resolve().parent),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "AZUREML_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        },
        cwd=entry_script.resolve().parent,
    ).start()
    process.wait_ready(lambda: http_ok(f"http://{LOOPBACK}:{port}/swagger.json"), timeout_s)
    return ScoringServer(process=process, port=port)
