"""Run the project's nox from a project-local tools environment: `python3 tools/nox.py -s tests`.

Standard library only, so it runs on a fresh machine's Python 3.11+ as it comes. The first run creates
`.venv-tools/` beside this folder and installs `tools/bootstrap.txt` (pinned nox and uv) into it; later
runs reuse it until `bootstrap.txt` changes. The system interpreter is never installed into, so it works
where `pip install` is refused (PEP 668 "externally-managed-environment", Debian and Ubuntu). Then it
runs that nox with the given arguments, with the tools environment first on PATH (sessions call `uv`).

Creating the environment, in order of preference:
1. `python -m venv` (pip bootstrapped by ensurepip);
2. where ensurepip is missing (Debian without python3-venv): `python -m venv --without-pip`, then the
   system pip installs into it (`python -m pip --python <venv python> install ...`);
3. where there is no system pip either: the same, with the pinned pip wheel below fetched from PyPI,
   its SHA-256 checked, and run from the wheel (pip runs from its own wheel).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "tools" / "bootstrap.txt"
TOOLS_VENV = ROOT / ".venv-tools"
STAMP = TOOLS_VENV / "bootstrap.sha256"
MINIMUM_PYTHON = (3, 11)
# Fallback 3 only: the pip wheel run from where it was downloaded (PyPI, pinned and hash-checked).
PIP_WHEEL_URL = (
    "https://files.pythonhosted.org/packages/07/25/ee8c38ae72d66b844ce8eb9711ba905dba21ca1a8a0c960057c41cd23337/"
    "pip-26.3-py3-none-any.whl"
)
PIP_WHEEL_SHA256 = "f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13"


class LauncherError(Exception):
    """The tools environment could not be made; the message says what to do."""


def _bin(venv: Path, name: str) -> Path:
    folder = venv / ("Scripts" if os.name == "nt" else "bin")
    return folder / (f"{name}.exe" if os.name == "nt" else name)


def _run(command: list[str]) -> bool:
    print("tools/nox.py:", " ".join(command), file=sys.stderr, flush=True)
    return subprocess.run(command, check=False).returncode == 0


def _has_system_pip() -> bool:
    probe = [sys.executable, "-m", "pip", "--version"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def _pip_wheel(folder: Path) -> Path:
    wheel = folder / PIP_WHEEL_URL.rsplit("/", 1)[1]
    try:
        with urllib.request.urlopen(PIP_WHEEL_URL, timeout=60) as response:
            body = response.read()
    except OSError as exc:
        raise LauncherError(
            f"could not download {PIP_WHEEL_URL} ({exc}); install python3-venv or python3-pip"
        ) from exc
    if hashlib.sha256(body).hexdigest() != PIP_WHEEL_SHA256:
        raise LauncherError(f"{PIP_WHEEL_URL}: SHA-256 differs from the pinned {PIP_WHEEL_SHA256}")
    wheel.write_bytes(body)
    return wheel


def _create() -> None:
    """A fresh tools environment with bootstrap.txt installed."""
    shutil.rmtree(TOOLS_VENV, ignore_errors=True)
    python = str(_bin(TOOLS_VENV, "python"))
    install = ["install", "--quiet", "--disable-pip-version-check", "-r", str(BOOTSTRAP)]
    # Debian's python3 without python3-venv has no ensurepip: go straight to the environment without pip.
    ensurepip = importlib.util.find_spec("ensurepip")
    has_ensurepip = ensurepip is not None and ensurepip.origin is not None
    if has_ensurepip and _run([sys.executable, "-m", "venv", str(TOOLS_VENV)]):
        if _run([python, "-m", "pip", *install]):
            return
        raise LauncherError(f"installing {BOOTSTRAP} into {TOOLS_VENV} failed (see pip's output above)")
    # venv could not bootstrap pip (no ensurepip): an environment without pip, installed into from outside.
    shutil.rmtree(TOOLS_VENV, ignore_errors=True)
    if not _run([sys.executable, "-m", "venv", "--without-pip", str(TOOLS_VENV)]):
        raise LauncherError(f"`{sys.executable} -m venv` cannot create {TOOLS_VENV} (see its output above)")
    if _has_system_pip():
        if _run([sys.executable, "-m", "pip", "--python", python, *install]):
            return
        raise LauncherError(
            f"installing {BOOTSTRAP} into {TOOLS_VENV} with the system pip failed (see above)"
        )
    with tempfile.TemporaryDirectory(prefix="streamscore-pip-") as folder:
        wheel = _pip_wheel(Path(folder))
        if _run([python, f"{wheel}/pip", *install]):
            return
    raise LauncherError(f"installing {BOOTSTRAP} into {TOOLS_VENV} with pip from {PIP_WHEEL_URL} failed")


def ensure_tools() -> Path:
    """The tools environment's nox, (re)made when missing or when bootstrap.txt changed."""
    wanted = hashlib.sha256(BOOTSTRAP.read_bytes()).hexdigest()
    nox = _bin(TOOLS_VENV, "nox")
    if not (nox.is_file() and STAMP.is_file() and STAMP.read_text().strip() == wanted):
        _create()
        if not nox.is_file():
            raise LauncherError(f"{BOOTSTRAP} did not install nox into {TOOLS_VENV}")
        STAMP.write_text(wanted + "\n")
    return nox


def main(argv: list[str]) -> int:
    if sys.version_info < MINIMUM_PYTHON:
        found = ".".join(map(str, sys.version_info[:3]))
        print(
            f"tools/nox.py: needs Python {'.'.join(map(str, MINIMUM_PYTHON))}+, this is {found}",
            file=sys.stderr,
        )
        return 2
    try:
        nox = ensure_tools()
    except LauncherError as exc:
        print(f"tools/nox.py: {exc}", file=sys.stderr)
        return 1
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(nox.parent), env.get("PATH", "")])
    os.chdir(ROOT)
    command = [str(nox), *argv]
    if os.name == "nt":
        return subprocess.run(command, env=env, check=False).returncode
    os.execve(command[0], command, env)
    return 0  # not reached: execve replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
