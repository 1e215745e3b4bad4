"""`python -m ml serve local` and `python -m ml rollout local` as a user runs them (real processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from environments.standins import ManagedProcess, free_port
from ml.registry.manifest import manifest_path
from ml.serving.batches import request_body, stream_batch
from ml.serving.manifests import read_endpoint_manifest


def _write_model_manifest(state: Path, model_dir: Path, version: str) -> None:
    path = manifest_path(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "environment": "local",
        "model_name": "card-fraud",
        "version": version,
        "alias": "local",
        "model_uri": f"models:/card-fraud/{version}",
        "model_path": str(model_dir),
        "data_fingerprint": "sha256:test",
        "metrics": {},
        "baseline_path": "",
        "source": "test",
    }
    path.write_text(json.dumps(record), encoding="utf-8")


@pytest.mark.services
def test_serve_then_rollout_then_stop(tmp_path, scoring_model_dir, local_environment):
    state, port = tmp_path / "state", free_port()
    _write_model_manifest(state, scoring_model_dir, "1")
    endpoint_file = state / "ml" / "endpoint.json"
    argv = [sys.executable, "-m", "ml", "serve", "local", "--port", str(port), "--state-dir", str(state)]
    serve = ManagedProcess("ml serve local", argv, tmp_path / "serve.log").start()
    try:
        serve.wait_ready(
            lambda: endpoint_file.exists() and read_endpoint_manifest(endpoint_file).healthy, 120
        )
        manifest = read_endpoint_manifest(endpoint_file)
        key = Path(manifest.key_file).read_text().strip()
        rows = stream_batch(local_environment.data_schema(), 3, seed=1)
        answer = httpx.post(
            manifest.scoring_uri, json=request_body(rows), headers={"Authorization": f"Bearer {key}"}
        )
        assert answer.status_code == 200 and {r["model_version"] for r in answer.json()["Results"]} == {"1"}

        _write_model_manifest(state, scoring_model_dir, "2")
        rollout = subprocess.run(
            [sys.executable, "-m", "ml", "rollout", "local", "--port", str(port), "--state-dir", str(state)],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert rollout.returncode == 0, rollout.stderr
        assert key not in rollout.stdout + rollout.stderr + serve.log_tail(200)
        after = read_endpoint_manifest(endpoint_file)
        assert after.healthy and after.model_version == "2" and after.deployment != manifest.deployment
    finally:
        serve.stop()
    assert not read_endpoint_manifest(endpoint_file).healthy
    assert json.loads((state / "ml" / "routes.json").read_text())["deployments"] == {}


@pytest.mark.faults
@pytest.mark.services
def test_serve_restarts_a_killed_deployment(tmp_path, scoring_model_dir, local_environment):
    """kill -9 of the serving deployment: `ml serve` notices, restarts it, and the endpoint answers again."""
    state, port = tmp_path / "state", free_port()
    _write_model_manifest(state, scoring_model_dir, "1")
    endpoint_file, routes_file = state / "ml" / "endpoint.json", state / "ml" / "routes.json"
    argv = [sys.executable, "-m", "ml", "serve", "local", "--port", str(port), "--state-dir", str(state)]
    serve = ManagedProcess("ml serve local", argv, tmp_path / "serve.log").start()
    try:
        serve.wait_ready(
            lambda: endpoint_file.exists() and read_endpoint_manifest(endpoint_file).healthy, 120
        )
        manifest = read_endpoint_manifest(endpoint_file)
        killed = json.loads(routes_file.read_text())["deployments"][manifest.deployment]
        os.kill(killed["pid"], signal.SIGKILL)

        def restarted() -> bool:
            deployment = json.loads(routes_file.read_text())["deployments"].get(manifest.deployment)
            return (
                deployment is not None
                and deployment["pid"] != killed["pid"]
                and read_endpoint_manifest(endpoint_file).healthy
            )

        serve.wait_ready(restarted, 180)
        key = Path(manifest.key_file).read_text().strip()
        rows = stream_batch(local_environment.data_schema(), 3, seed=1)
        answer = httpx.post(
            manifest.scoring_uri, json=request_body(rows), headers={"Authorization": f"Bearer {key}"}
        )
        assert answer.status_code == 200 and len(answer.json()["Results"]) == 3
        assert "is not running: endpoint unhealthy, restarting it" in serve.log_tail(200)
    finally:
        serve.stop()


HOLD_LOCK = """
import sys
from pathlib import Path
from environments.file_lock import exclusive_lock
with exclusive_lock(Path(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.mark.faults
@pytest.mark.services
def test_restart_of_a_dead_deployment_and_a_rollout_take_turns(
    tmp_path, scoring_model_dir, local_environment
):
    """A deployment dies while the endpoint is being changed, and a rollout starts meanwhile: the restart
    and the rollout each wait (saying for whom) instead of interleaving, and the router ends on the new
    deployment, alive, with the manifest naming it."""
    state, port = tmp_path / "state", free_port()
    _write_model_manifest(state, scoring_model_dir, "1")
    endpoint_file, routes_file = state / "ml" / "endpoint.json", state / "ml" / "routes.json"
    argv = [sys.executable, "-m", "ml", "serve", "local", "--port", str(port), "--state-dir", str(state)]
    serve = ManagedProcess("ml serve local", argv, tmp_path / "serve.log").start()
    holder = rollout = None
    try:
        serve.wait_ready(
            lambda: endpoint_file.exists() and read_endpoint_manifest(endpoint_file).healthy, 120
        )
        manifest = read_endpoint_manifest(endpoint_file)
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                HOLD_LOCK,
                str(state / "ml" / "endpoint.lock"),
                "process 1 (a test change)",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        killed = json.loads(routes_file.read_text())["deployments"][manifest.deployment]
        os.kill(killed["pid"], signal.SIGKILL)
        serve.wait_ready(
            lambda: (
                "its restart waits: process 1 (a test change) is changing the endpoint" in serve.log_tail(50)
            ),
            60,
        )
        _write_model_manifest(state, scoring_model_dir, "2")
        rollout_argv = [
            sys.executable,
            "-m",
            "ml",
            "rollout",
            "local",
            "--port",
            str(port),
            "--state-dir",
            str(state),
        ]
        rollout = ManagedProcess("ml rollout local", rollout_argv, tmp_path / "rollout.log").start()
        rollout.wait_ready(
            lambda: (
                "python -m ml rollout waits: process 1 (a test change) is changing" in rollout.log_tail(50)
            ),
            60,
        )
        # Nothing was restarted or rolled out while the change held the lock.
        assert json.loads(routes_file.read_text())["deployments"][manifest.deployment]["pid"] == killed["pid"]

        holder.kill()
        holder.wait()
        assert rollout.wait() == 0, rollout.log_tail(40)
        after = read_endpoint_manifest(endpoint_file)
        routes = json.loads(routes_file.read_text())
        assert after.healthy and after.model_version == "2"
        assert routes["traffic"] == {after.deployment: 100}
        key = Path(manifest.key_file).read_text().strip()
        rows = stream_batch(local_environment.data_schema(), 3, seed=1)
        answer = httpx.post(
            after.scoring_uri, json=request_body(rows), headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        assert answer.status_code == 200 and {r["model_version"] for r in answer.json()["Results"]} == {"2"}
    finally:
        if holder is not None and holder.poll() is None:
            holder.kill()
            holder.wait()
        if rollout is not None:
            rollout.stop()
        serve.stop()
