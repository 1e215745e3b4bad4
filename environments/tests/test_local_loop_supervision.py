"""The local loop's checks between steps: the endpoint counts as ready only once this run rewrote its
manifest healthy, and a service that exited fails the loop with one line naming its step."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from environments.deploy.local import LocalLoopError, _check_services, _run_number, _service_ready
from environments.deploy.local_plan import LocalStep, endpoint_manifest
from environments.standins import ManagedProcess, wait_until


def _endpoint_step(state: Path) -> LocalStep:
    return LocalStep("endpoint", "service", "", params={"ready_manifest": str(endpoint_manifest(state))})


def _write_manifest(state: Path, healthy: bool, modified: float | None = None) -> None:
    manifest = endpoint_manifest(state)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"healthy": healthy}))
    if modified is not None:
        os.utime(manifest, (modified, modified))


def test_a_manifest_left_by_the_previous_run_is_not_readiness(tmp_path: Path) -> None:
    started = time.time()
    ready = _service_ready(_endpoint_step(tmp_path), started)
    assert not ready()  # no manifest yet
    _write_manifest(tmp_path, healthy=True, modified=started - 60)
    assert not ready(), "a healthy manifest from the previous run says nothing about this one"
    _write_manifest(tmp_path, healthy=False)
    assert not ready(), "rewritten, but unhealthy (the endpoint's shutdown or its start)"
    _write_manifest(tmp_path, healthy=True)
    assert ready()


@pytest.mark.services
def test_a_service_that_exited_fails_the_loop_naming_its_step(tmp_path: Path) -> None:
    exits = ManagedProcess(
        "engine", [sys.executable, "-c", "import sys; sys.exit(4)"], tmp_path / "engine.log"
    ).start()
    wait_until(lambda: not exits.alive(), 30, "the process to exit")
    with pytest.raises(LocalLoopError) as caught:
        _check_services([exits])
    message = str(caught.value)
    assert "step engine failed" in message and "exit 4" in message and "\n" not in message


def test_runs_on_the_same_state_folder_are_numbered(tmp_path: Path) -> None:
    assert _run_number(tmp_path) == 1
    (tmp_path / "loop-summary.json").write_text(json.dumps({"run": 2}))
    assert _run_number(tmp_path) == 3
