"""One deployment locally: azmlinfsrv with one worker on a loopback port, serving a staged code folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from environments.standins import ManagedProcess, StandInError, azmlinfsrv_argv, http_ok
from ml.scoring.settings import ScoringSettings
from ml.serving.code_folder import ENTRY_SCRIPT
from ml.serving.errors import ServerStartError

STARTUP_TIMEOUT_S = 90.0


@dataclass
class InferenceServer:
    """A running azmlinfsrv: its port, its process and its log."""

    name: str
    port: int
    process: ManagedProcess

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.stop()


def start_inference_server(
    name: str,
    code_dir: Path,
    model_dir: Path,
    settings: ScoringSettings,
    port: int,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
    timeout_s: float = STARTUP_TIMEOUT_S,
    die_with_parent: bool = False,
) -> InferenceServer:
    """Start azmlinfsrv for one deployment and wait until its health route answers. It gets `extra_env`
    and the settings only, nothing else of the caller's environment (whose secrets it does not use)."""
    env = {
        "AML_APP_ROOT": str(code_dir),
        "WORKER_COUNT": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONUNBUFFERED": "1",
        **settings.environment_variables(),
        **(extra_env or {}),
    }
    argv = azmlinfsrv_argv(ENTRY_SCRIPT, port, model_dir=model_dir)
    process = ManagedProcess(
        name=f"azmlinfsrv {name}",
        argv=argv,
        log_path=log_path,
        env=env,
        cwd=code_dir,
        die_with_parent=die_with_parent,
        inherit_environment=False,
    )
    process.start()
    server = InferenceServer(name=name, port=port, process=process)
    try:
        process.wait_ready(lambda: http_ok(server.base_url + "/"), timeout_s)
    except StandInError as exc:
        raise ServerStartError(f"deployment {name}: azmlinfsrv not ready on port {port}: {exc}") from exc
    return server
