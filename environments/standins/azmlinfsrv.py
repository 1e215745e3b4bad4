"""The Azure ML inference server (azmlinfsrv, the server managed online deployments run), bound to
127.0.0.1: the command line that starts it, shared by the ml domain's local deployments and by the
streaming domain's scoring stand-in."""

from __future__ import annotations

import sys
from pathlib import Path

from environments.standins.azmlinfsrv_loopback import KEY_VARIABLE as DEPLOYMENT_KEY_VARIABLE

# Run as a script with `python -P`, so only the deployment's code folder is importable (see the script).
LAUNCHER = Path(__file__).resolve().parent / "azmlinfsrv_loopback.py"


def azmlinfsrv_argv(
    entry_script: str, port: int, model_dir: Path | None = None, workers: int = 1
) -> list[str]:
    """azmlinfsrv's own arguments, through the loopback launcher; set `AML_APP_ROOT` to the code folder
    (and `DEPLOYMENT_KEY_VARIABLE` to require the endpoint key on its port)."""
    argv = [sys.executable, "-P", str(LAUNCHER), "--entry_script", entry_script, "--port", str(port)]
    if model_dir is not None:
        argv += ["--model_dir", str(model_dir)]
    return [*argv, "--worker_count", str(workers)]


__all__ = ["DEPLOYMENT_KEY_VARIABLE", "LAUNCHER", "azmlinfsrv_argv"]
