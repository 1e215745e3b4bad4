"""Ctrl-C or SIGTERM on the local loop stops every service it started: no process and no port is left.
While it runs, each service holds only the secrets it uses and the state folder is the user's alone.

Runs `python -m environments deploy local` with its own ports and state folder, waits until every
service is up (broker, Azurite, collector, endpoint router and deployment, streaming runtime), records
every process below it and every port it holds, signals it, and checks they are all gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from environments.local_secrets import (
    BLOB_VARIABLE,
    COLLECTOR_IKEY_VARIABLE,
    COLLECTOR_KEY_VARIABLE,
    KEY_VARIABLE,
    SECRET_VARIABLES,
)
from environments.standins import free_port
from environments.standins.process import port_open

ROOT = Path(__file__).resolve().parents[1]
STARTED_TIMEOUT_S = 600.0
STOPPED_TIMEOUT_S = 60.0

pytestmark = [pytest.mark.services, pytest.mark.slow]


def _children() -> dict[int, list[int]]:
    """Parent PID -> child PIDs of every process on the machine (from /proc)."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child its new parent has not collected yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _describe(pids: set[int]) -> str:
    lines = []
    for pid in sorted(pids):
        try:
            lines.append(f"{pid}: {_command(pid)[:160]}")
        except OSError:
            lines.append(f"{pid}: (gone)")
    return "\n".join(lines)


def _wait(check, timeout_s: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} after {timeout_s:.0f} s; loop output:\n{log.read_text()[-3000:]}")


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def _command(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def _check_secrets_and_modes(processes: set[int], state: Path) -> None:
    """Each service has only the secrets it uses; the state folder and telemetry store are the user's."""
    by_command = {pid: _command(pid) for pid in processes if _running(pid)}
    collector = [pid for pid, command in by_command.items() if "monitoring collector" in command]
    engine = [pid for pid, command in by_command.items() if "streaming run" in command]
    assert collector and engine, by_command
    collector_secrets = set(_environ(collector[0])) & set(SECRET_VARIABLES)
    assert collector_secrets == {COLLECTOR_IKEY_VARIABLE, COLLECTOR_KEY_VARIABLE}
    assert set(_environ(engine[0])) & set(SECRET_VARIABLES) == {BLOB_VARIABLE, KEY_VARIABLE}
    assert state.stat().st_mode & 0o077 == 0
    assert (state / "collector.sqlite").stat().st_mode & 0o077 == 0


@pytest.mark.faults
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_every_service_and_frees_every_port(tmp_path: Path, signum: int) -> None:
    state = tmp_path / "state"
    ports = {
        name: free_port() for name in ("broker_port", "azurite_blob_port", "collector_port", "endpoint_port")
    }
    overrides = tmp_path / "overrides.yml"
    overrides.write_text(
        yaml.safe_dump({"data": {"training_rows": 4000}, "local": {"state_dir": str(state), **ports}})
    )
    env = {**os.environ, "STREAMSCORE_OVERRIDES": str(overrides), "MLFLOW_DISABLE_TELEMETRY": "true"}
    log = tmp_path / "loop.log"
    with log.open("wb") as out:
        loop = subprocess.Popen(
            [sys.executable, "-m", "environments", "deploy", "local", "--events", "200"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # like a terminal: the signal goes to the loop, not to pytest
        )
    try:
        # The step after the streaming runtime started, and the endpoint serving: every service is up.
        manifest = state / "ml" / "endpoint.json"

        def started() -> bool:
            up = (
                "] data" in log.read_text()
                and manifest.exists()
                and json.loads(manifest.read_text())["healthy"]
            )
            return up or loop.poll() is not None

        _wait(started, STARTED_TIMEOUT_S, "not started", log)
        assert loop.poll() is None, log.read_text()[-3000:]
        routes = json.loads((state / "ml" / "routes.json").read_text())
        held = set(ports.values()) | {d["port"] for d in routes["deployments"].values()}
        assert all(port_open(port) for port in held), held
        processes = _descendants(loop.pid)
        # broker, Azurite, collector, ml serve + router + azmlinfsrv, streaming runtime (at least)
        assert len(processes) >= 7, _describe(processes)

        _check_secrets_and_modes(processes, state)

        loop.send_signal(signum)

        _wait(lambda: loop.poll() is not None, STOPPED_TIMEOUT_S, "the loop did not exit", log)
        _wait(lambda: not any(_running(pid) for pid in processes), STOPPED_TIMEOUT_S, "processes left", log)
        _wait(lambda: not any(port_open(port) for port in held), STOPPED_TIMEOUT_S, "ports left", log)
        assert loop.returncode == 130, log.read_text()[-3000:]  # interrupted before the loop finished
        assert json.loads(manifest.read_text())["healthy"] is False
    finally:
        if loop.poll() is None:
            os.killpg(loop.pid, signal.SIGKILL)
            loop.wait()
