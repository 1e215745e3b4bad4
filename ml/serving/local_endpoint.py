"""The local managed online endpoint: a router on one stable loopback URL in front of blue/green
azmlinfsrv deployments, with the same rollout steps as Azure (`LocalEndpoint` is a DeploymentTarget).

State lives in `<local.state_dir>/ml/`: `routes.json` (the routing table), `endpoint.json` (the endpoint
manifest), `endpoint.key` (generated key, mode 0600, when `ML_ENDPOINT_KEY` is not set) and
`deployments/<name>/` (staged code folder and server log), `telemetry-spool/<instrumentation key>/` (the
inference log's retry files while the collector is unreachable). Processes are started in their own session,
so a deployment created by `python -m ml rollout local` keeps running after that command exits; they
are stopped by the PID recorded in the routing table, after checking that the PID is still our server.

`watch()` (called every second by `ml serve local`) restarts a deployment taking traffic whose server
died: the endpoint manifest says `healthy: false` from the moment the death is seen until the restarted
server has passed the smoke test, and stays unhealthy while restarts fail (retried every
`RESTART_BACKOFF_S`), so streaming deploy and the loop refuse the endpoint meanwhile.

A rollout (`python -m ml rollout local`, or the first one of `ml serve`) and the restart of a dead
deployment both change the routing table and the manifest: each holds `<state>/ml/endpoint.lock`
(`changing`) while it does, so they never interleave. A rollout waits for a restart (saying so); a restart
waits, retried every second, until a rollout is done (saying so once).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import sys
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from environments.file_lock import LockBusyError, exclusive_lock
from environments.local_secrets import KEY_VARIABLE
from environments.model import Environment
from environments.standins import ManagedProcess, StandInError, free_port, wait_until
from environments.standins.azmlinfsrv import DEPLOYMENT_KEY_VARIABLE, LAUNCHER
from environments.standins.process import port_open, stop_processes
from environments.telemetry_variables import CONNECTION_STRING_VAR, SAMPLING_RATIO_VAR, SPOOL_DIR_VAR
from ml.data.store import state_dir
from ml.scoring.settings import ScoringSettings
from ml.serving.code_folder import stage_code
from ml.serving.errors import RolloutError, ServerStartError, ServingError
from ml.serving.inference_server import InferenceServer, start_inference_server
from ml.serving.manifests import ENDPOINT_MANIFEST, EndpointManifest, ModelRef, write_endpoint_manifest
from ml.serving.rollout_policy import WindowStats, window_stats
from ml.serving.routes import DEPLOYMENT_HEADER, RoutedDeployment, Routes, load_routes, save_routes
from ml.serving.smoke import check_smoke, smoke_batch
from ml.serving.traffic_history import Record, TelemetryTrafficLog, TrafficLog, live_of, traffic_steps

logger = logging.getLogger("ml.serving.local_endpoint")

KEY_ENV = KEY_VARIABLE  # the name environments.local_secrets owns
STOP_TIMEOUT_S = 30.0
RESTART_BACKOFF_S = 10.0
CHANGE_LOCK = "endpoint.lock"
CHANGE_WAIT_S = 300.0  # a restart (start, smoke test) takes seconds; a rollout waits this long for one


def endpoint_key(state: Path) -> str:
    """The endpoint key: `ML_ENDPOINT_KEY` if set, else the key generated once into the state folder."""
    given = os.environ.get(KEY_ENV)
    if given:
        return given
    path = state / "endpoint.key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def telemetry_connection() -> dict[str, str]:
    """The inference log's connection string given to this process, for a deployment (none: log off)."""
    value = os.environ.get(CONNECTION_STRING_VAR)
    return {CONNECTION_STRING_VAR: value} if value else {}


def local_model_dir(model: ModelRef, dest: Path) -> Path:
    """The model's MLflow folder on disk: the manifest's path, or a download of its MLflow URI."""
    if model.path and Path(model.path).is_dir():
        return Path(model.path)
    parsed = urlparse(model.uri)
    if parsed.scheme in ("", "file"):
        path = Path(parsed.path if parsed.scheme else model.uri)
        if not path.is_dir():
            raise ServingError(f"model {model.name} version {model.version}: folder {path} does not exist")
        return path
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow.artifacts

    try:
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=model.uri, dst_path=str(dest)))
    except Exception as exc:  # MLflow raises many types for an unreachable registry
        raise ServingError(
            f"model {model.name} version {model.version}: cannot fetch {model.uri}: {exc}"
        ) from exc


def _mount(model_dir: Path, root: Path, model: ModelRef) -> Path:
    """`<root>/<name>/<version>` linking to the model folder: the layout Azure ML mounts under
    AZUREML_MODEL_DIR, from which azmlinfsrv reads the model id it reports."""
    mount = root / model.name / model.version
    mount.parent.mkdir(parents=True, exist_ok=True)
    if mount.is_symlink() or mount.exists():
        mount.unlink()
    mount.symlink_to(model_dir.resolve(), target_is_directory=True)
    return mount


def _is_our_server(pid: int) -> bool:
    """Whether `pid` is still an inference server started by this module (PIDs get reused)."""
    try:
        return LAUNCHER.name in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


@dataclass
class LocalEndpoint:
    """One environment's local endpoint; the rollout's DeploymentTarget for `local`."""

    env: Environment
    state: Path
    port: int
    request_timeout_s: float = 30.0
    die_with_parent: bool = False
    """Processes started here get SIGTERM if this process dies (`ml serve`; not `ml rollout`, whose
    deployments outlive it)."""
    traffic_log: TrafficLog = field(default_factory=TelemetryTrafficLog)
    """Where each change of the deployments taking live traffic is recorded (the inference log)."""
    servers: dict[str, InferenceServer] = field(default_factory=dict)
    _restart_after: dict[str, float] = field(default_factory=dict)
    _restart_waiting: bool = False

    @classmethod
    def for_environment(
        cls, env: Environment, port: int | None = None, state: Path | None = None
    ) -> LocalEndpoint:
        """The endpoint of a local environment; its files go to `<state folder>/ml/`."""
        if env.local is None:
            raise ServingError(f"environment {env.name} is not local: it has no local section")
        timeout_s = env.endpoint.request.request_timeout_ms / 1000.0
        return cls(env, (state or state_dir(env)) / "ml", port or env.local.endpoint_port, timeout_s)

    @property
    def routes_path(self) -> Path:
        return self.state / "routes.json"

    @property
    def manifest_path(self) -> Path:
        return self.state / ENDPOINT_MANIFEST

    @property
    def lock_path(self) -> Path:
        return self.state / CHANGE_LOCK

    def changing(self, what: str, wait_s: float = CHANGE_WAIT_S) -> AbstractContextManager[None]:
        """Hold the endpoint's change lock while `what` (a rollout, a restart) changes routes and manifest;
        another holder is waited for up to `wait_s`, with one log line naming it, then LockBusyError."""

        def waiting(holder: str) -> None:
            logger.warning("%s waits: %s is changing the endpoint (%s)", what, holder, self.lock_path)

        return exclusive_lock(self.lock_path, f"process {os.getpid()} ({what})", wait_s, waiting)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def key(self) -> str:
        return endpoint_key(self.state)

    def headers(self, deployment: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key()}"}
        if deployment:
            headers[DEPLOYMENT_HEADER] = deployment
        return headers

    # -- the router -------------------------------------------------------------------------------

    def ensure_port_free(self) -> None:
        """Fail, touching nothing, when something (another `serve local`?) already listens on the port."""
        if port_open(self.port):
            raise ServingError(f"port {self.port} is taken: is the local endpoint already running?")

    def start_router(self) -> ManagedProcess:
        """Start the router on the stable port; it serves whatever the routing table says."""
        self.ensure_port_free()
        self.state.mkdir(parents=True, exist_ok=True)
        if not self.routes_path.exists():
            save_routes(self.routes_path, Routes())
        argv = [sys.executable, "-m", "ml.serving.router", "--routes", str(self.routes_path)]
        argv += ["--port", str(self.port), "--key-env", KEY_ENV, "--timeout-s", str(self.request_timeout_s)]
        router = ManagedProcess(
            "endpoint router",
            argv,
            self.state / "router.log",
            env={KEY_ENV: self.key()},  # the one secret it uses
            die_with_parent=self.die_with_parent,
            inherit_environment=False,
        )
        router.start()
        try:
            router.wait_ready(lambda: port_open(self.port), timeout_s=20.0)
        except StandInError as exc:
            raise ServerStartError(f"local endpoint router on port {self.port}: {exc}") from exc
        return router

    def router_state(self) -> dict[str, Any]:
        try:
            answer = httpx.get(f"{self.url}/-/routes", headers=self.headers(), timeout=5.0)
        except httpx.HTTPError as exc:
            raise ServingError(f"local endpoint router on {self.url} does not answer: {exc}") from exc
        if answer.status_code != 200:
            raise ServingError(
                f"local endpoint router on {self.url}: HTTP {answer.status_code} {answer.text[:200]}"
            )
        return answer.json()

    def _publish(self, routes: Routes) -> None:
        """Write the routing table and wait until the router has loaded it."""
        save_routes(self.routes_path, routes)
        wait_until(
            lambda: self.router_state()["generation"] >= routes.generation,
            timeout_s=10.0,
            what=f"router loading routing table generation {routes.generation}",
        )

    # -- DeploymentTarget ---------------------------------------------------------------------------

    def routes(self) -> Routes:
        return load_routes(self.routes_path)

    def serving(self) -> str | None:
        return self.routes().serving()

    def create(self, name: str, model: ModelRef) -> None:
        if name in self.routes().deployments:
            self.delete(name)  # left over from an interrupted rollout; it takes no traffic
        folder = self.state / "deployments" / name
        model_dir = _mount(local_model_dir(model, folder / "model"), folder / "azureml-models", model)
        stage_code(folder / "code")
        deployment = self._start_server(name, model.name, model.version, model_dir)
        # Re-read the table only now: `ml serve` may have restarted another deployment meanwhile.
        self._publish(self.routes().with_deployment(name, deployment))

    def _start_server(
        self, name: str, model_name: str, model_version: str, model_dir: Path
    ) -> RoutedDeployment:
        """Start deployment `name`'s server from its staged code folder and mounted model."""
        folder = self.state / "deployments" / name
        settings = ScoringSettings(model_name, model_version, name)
        server = start_inference_server(
            name,
            folder / "code",
            model_dir,
            settings,
            free_port(),
            folder / "azmlinfsrv.log",
            extra_env={
                DEPLOYMENT_KEY_VARIABLE: self.key(),  # its own port checks the endpoint's key
                # As the Azure deployment sets them (deployment.yml.j2); retry files stay in this stack's state.
                SAMPLING_RATIO_VAR: str(self.env.monitoring.log_sampling_ratio),
                SPOOL_DIR_VAR: str(self.state / "telemetry-spool"),
                # Its inference log; not the endpoint key's variable, nor anything else of ours.
                **telemetry_connection(),
            },
            die_with_parent=self.die_with_parent,
        )
        self.servers[name] = server
        return RoutedDeployment(server.port, server.pid, model_name, model_version)

    def invoke(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        try:
            answer = httpx.post(
                f"{self.url}/score", json=body, headers=self.headers(name), timeout=self.request_timeout_s
            )
        except httpx.HTTPError as exc:
            raise RolloutError(f"deployment {name}: smoke request failed: {exc}") from exc
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, answer.text

    def shift(self, name: str) -> None:
        self.set_traffic({name: 100}, {})

    def record_traffic(self) -> None:
        """The router's live and mirrored deployments now, recorded (`ProgressiveTarget.record_traffic`)."""
        now = self.routes()
        self.traffic_log.record(live_of(now.traffic), live_of(now.mirror))

    def set_traffic(self, traffic: dict[str, int], mirror: dict[str, int]) -> None:
        """New live and mirrored shares, each change of the live set recorded (`traffic_history`)."""
        now = self.routes()
        for step in traffic_steps(now.traffic, now.mirror, traffic, mirror):
            if isinstance(step, Record):
                self.traffic_log.record(step.live, step.mirror)
                continue
            routes = self.routes().with_traffic(step.traffic, step.mirror)
            self._publish(routes)
            if step.drain:
                wait_until(
                    lambda: self.router_state().get("mirror_pending", 0) == 0,
                    timeout_s=self.request_timeout_s + 5.0,
                    what="mirrored requests in flight to finish",
                )
        routes = self.routes()
        serving = routes.serving()
        if serving is not None:
            deployment = routes.deployments[serving]
            self.write_manifest(serving, deployment.model_name, deployment.model_version, healthy=True)

    def deployment_names(self) -> list[str]:
        return sorted(self.routes().deployments)

    def traffic(self) -> dict[str, int]:
        return dict(self.routes().traffic)

    def window(self, since: float) -> dict[str, WindowStats]:
        """What each deployment answered since `since` (unix time), as the router measured it."""
        try:
            answer = httpx.get(
                f"{self.url}/-/metrics", params={"since": since}, headers=self.headers(), timeout=5.0
            )
            answer.raise_for_status()
        except httpx.HTTPError as exc:
            raise ServingError(f"local endpoint router on {self.url}: no metrics: {exc}") from exc
        return {name: window_stats(kinds) for name, kinds in answer.json()["deployments"].items()}

    def delete(self, name: str) -> None:
        routes = self.routes()
        if name not in routes.deployments:
            return
        pid = routes.deployments[name].pid
        self._publish(routes.without(name))
        wait_until(
            lambda: self.router_state()["in_flight"].get(name, 0) == 0,
            timeout_s=self.request_timeout_s,
            what=f"requests in flight to deployment {name} to finish",
        )
        self._stop(name, pid)

    # -- processes and manifest ----------------------------------------------------------------------

    def _stop(self, name: str, pid: int) -> None:
        """Stop a deployment's server gracefully (gunicorn finishes the request it is serving)."""
        server = self.servers.pop(name, None)
        if server is not None and server.pid == pid:
            server.stop()
            return
        if not _is_our_server(pid):
            return  # already gone (or the PID now belongs to something else: leave it alone)
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            wait_until(
                lambda: not _is_our_server(pid), STOP_TIMEOUT_S, f"deployment {name} (pid {pid}) stopping"
            )
        except StandInError:
            os.killpg(pid, signal.SIGKILL)

    def reap(self) -> None:
        """Collect servers of this process that a rollout elsewhere stopped (no zombies left behind)."""
        for name, server in list(self.servers.items()):
            if not server.process.alive():  # alive() polls the child, which reaps it once it has exited
                del self.servers[name]

    def _running(self, name: str, pid: int) -> bool:
        server = self.servers.get(name)
        if server is not None and server.pid == pid:
            return server.process.alive()
        return _is_our_server(pid)

    def watch(self) -> list[str]:
        """Restart every deployment taking traffic whose server is gone; the names restarted."""
        routes = self.routes()
        dead = [
            name
            for name, deployment in sorted(routes.deployments.items())
            if routes.traffic.get(name, 0) > 0 and not self._running(name, deployment.pid)
        ]
        self.reap()
        if not dead:
            return []
        try:
            with self.changing(f"restart of deployment {', '.join(dead)}", wait_s=0.0):
                self._restart_waiting = False
                return self._restart_dead(dead)
        except LockBusyError as busy:
            if not self._restart_waiting:
                logger.warning(
                    "deployment %s is not running; its restart waits: %s is changing the endpoint",
                    ", ".join(dead),
                    busy.holder,
                )
                self._restart_waiting = True
            return []

    def _restart_dead(self, dead: list[str]) -> list[str]:
        restarted = []
        for name in dead:
            # Read the table again: a rollout removes a deployment from it before stopping its server.
            deployment = self.routes().deployments.get(name)
            if deployment is None or self._running(name, deployment.pid):
                continue
            if time.monotonic() >= self._restart_after.get(name, 0.0) and self._restart(name, deployment):
                restarted.append(name)
        return restarted

    def _restart(self, name: str, dead: RoutedDeployment) -> bool:
        logger.error(
            "deployment %s (pid %d, port %d) is not running: endpoint unhealthy, restarting it",
            name,
            dead.pid,
            dead.port,
        )
        self.write_manifest(name, dead.model_name, dead.model_version, healthy=False)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(dead.pid, signal.SIGKILL)  # workers of a killed server still hold its port
        model_dir = (
            self.state / "deployments" / name / "azureml-models" / dead.model_name / dead.model_version
        )
        try:
            deployment = self._start_server(name, dead.model_name, dead.model_version, model_dir)
            self._publish(self.routes().replacing(name, deployment))
            smoke = smoke_batch(self.env.data_schema(), self.env.endpoint.smoke_batch_size)
            status, answer = self.invoke(name, smoke.body)
            check_smoke(smoke, status, answer, dead.model_version)
        except (ServingError, StandInError) as exc:
            self._restart_after[name] = time.monotonic() + RESTART_BACKOFF_S
            logger.error(
                "deployment %s could not be restarted (%s); the endpoint stays unhealthy, retrying in %.0f s",
                name,
                exc,
                RESTART_BACKOFF_S,
            )
            return False
        self._restart_after.pop(name, None)
        self.write_manifest(name, dead.model_name, dead.model_version, healthy=True)
        logger.info(
            "deployment %s restarted on port %d (pid %d); endpoint healthy",
            name,
            deployment.port,
            deployment.pid,
        )
        return True

    def stop_all(self) -> None:
        """Stop every deployment in the routing table and empty it (used when `serve` ends)."""
        routes = self.routes()
        own = [server.process for server in self.servers.values()]
        stop_processes(own, STOP_TIMEOUT_S)  # together, under one deadline
        self.servers.clear()
        for name, deployment in sorted(routes.deployments.items()):
            self._stop(name, deployment.pid)
        save_routes(self.routes_path, Routes(routes.generation + 1))
        if self.manifest_path.exists():
            self.write_manifest(None, "", "", healthy=False)

    def write_manifest(
        self, deployment: str | None, model_name: str, model_version: str, healthy: bool
    ) -> Path:
        manifest = EndpointManifest(
            environment=self.env.name,
            scoring_uri=f"{self.url}/score",
            swagger_uri=f"{self.url}/swagger.json",
            deployment=deployment or "",
            model_name=model_name,
            model_version=model_version,
            key_env=KEY_ENV,
            healthy=healthy,
            key_file=None if os.environ.get(KEY_ENV) else str(self.state / "endpoint.key"),
        )
        return write_endpoint_manifest(self.manifest_path, manifest)
