"""`nox -s deploy-local`: run the local loop's plan on this machine, every Azure service on a loopback
stand-in, then keep the services up (Ctrl-C stops them) unless `--once`.

Every process the loop starts (stand-ins, services, tasks) is owned by one `Supervisor`: Ctrl-C, SIGTERM,
an error or the end of `--once` stops them all, and they die with this command if it is killed.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from environments.deploy.local_plan import LocalStep, endpoint_manifest, local_plan, runtime_metrics
from environments.deploy.step_progress import LogFollower, progress_line
from environments.drift_scenario import DriftScenario
from environments.errors import EnvironmentsError
from environments.loader import OVERRIDES_VARIABLE
from environments.local_secrets import (
    BLOB_VARIABLE,
    COLLECTOR_IKEY_VARIABLE,
    COLLECTOR_KEY_VARIABLE,
    KEY_VARIABLE,
    SECRET_VARIABLES,
    TELEMETRY_VARIABLE,
)
from environments.model import Environment
from environments.standins import ManagedProcess, StandInError, start_azurite, start_broker
from environments.standins.ports import check_ports_free
from environments.standins.process import port_open
from environments.standins.supervisor import Supervisor
from environments.standins.well_known import azurite_blob_endpoint

HEARTBEAT_S = 15.0
"""A step that printed nothing for this long says it is still running (and for how long)."""


class LocalLoopError(EnvironmentsError):
    """A step of the local loop failed; names the step and where its log is."""


def stack_secret(state_dir: Path, name: str, make: Callable[[], str]) -> str:
    """A secret of this local stack, made once and kept in `<state>/keys/<name>` (mode 0600), so a
    rerun on the same state folder uses the same keys (telemetry spooled by the last run still counts)."""
    path = state_dir / "keys" / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = make()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def _collector_key(state_dir: Path) -> str:
    return stack_secret(state_dir, "collector-query.key", lambda: secrets.token_urlsafe(32))


def _child_environment(env: Environment, state_dir: Path, blob_connection: str) -> dict[str, str]:
    """Every variable a step may be given; `_step_environment` picks the ones each step uses. The secret
    ones are taken out of this process's own environment, so no child inherits them unasked."""
    assert env.local is not None
    given = {name: os.environ.pop(name) for name in SECRET_VARIABLES if name in os.environ}
    ikey = stack_secret(state_dir, "instrumentation.key", lambda: str(uuid.uuid4()))
    return {
        BLOB_VARIABLE: blob_connection,
        KEY_VARIABLE: given.get(KEY_VARIABLE) or secrets.token_urlsafe(32),
        TELEMETRY_VARIABLE: (
            f"InstrumentationKey={ikey};IngestionEndpoint=http://127.0.0.1:{env.local.collector_port}/"
        ),
        COLLECTOR_IKEY_VARIABLE: ikey,
        COLLECTOR_KEY_VARIABLE: _collector_key(state_dir),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONUNBUFFERED": "1",
    }


def _step_environment(step: LocalStep, child_env: dict[str, str]) -> dict[str, str]:
    """The variables one step's process gets: the plain ones, and only the secrets it names."""
    return {
        name: value
        for name, value in child_env.items()
        if name not in SECRET_VARIABLES or name in step.secrets
    }


def _scored(env: Environment, state_dir: Path, since: datetime) -> int:
    assert env.local is not None
    url = (
        f"http://127.0.0.1:{env.local.collector_port}/query/count"
        f"?type=event&name=inference&dim.probe=&from={since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {_collector_key(state_dir)}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # loopback collector
        return int(json.load(response)["count"])


def _read_metrics(state_dir: Path) -> dict[str, Any]:
    """The streaming runtime's accounting (docs/contracts.md, Streaming runtime metrics), {} before it exists."""
    try:
        metrics: dict[str, Any] = json.loads(runtime_metrics(state_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return metrics


def _wait_scored(
    env: Environment,
    state_dir: Path,
    since: datetime,
    expected: int,
    check_services: Callable[[], None],
    timeout_s: float = 300,
    progress: Callable[[str], None] = print,
) -> tuple[dict[str, Any], int]:
    """Wait until the runtime has accounted for `expected` events (scored, dead-lettered or dropped, none
    in flight), then until the collector holds a logged row for every scored one (or that count stops
    growing for 20 s); a service that exits meanwhile fails the step. Says how far it got every
    HEARTBEAT_S. Returns the accounting and rows logged."""
    began = time.monotonic()
    deadline, next_report = began + timeout_s, began + HEARTBEAT_S
    metrics: dict[str, Any] = {}
    while time.monotonic() < deadline:
        check_services()
        metrics = _read_metrics(state_dir)
        if metrics.get("events_in", 0) >= expected and metrics.get("in_flight") == 0:
            break
        if time.monotonic() >= next_report:
            progress(
                f"    {metrics.get('events_in', 0) - metrics.get('in_flight', 0)} of {expected} events accounted "
                f"for ({metrics.get('scored', 0)} scored) after {time.monotonic() - began:.0f} s"
            )
            next_report += HEARTBEAT_S
        time.sleep(1)
    else:
        raise LocalLoopError(
            f"the runtime accounted for {metrics.get('events_in', 0) - metrics.get('in_flight', 0)} of "
            f"{expected} events after {timeout_s:.0f} s ({runtime_metrics(state_dir)}: {metrics})"
        )
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        check_services()
        logged = _scored(env, state_dir, since)
        if logged >= metrics["scored"]:
            return metrics, logged
        if logged != last:
            last, last_change = logged, time.monotonic()
        elif time.monotonic() - last_change > 20:
            return metrics, logged
        if time.monotonic() >= next_report:
            progress(f"    {logged} of {metrics['scored']} scored rows in the inference log so far")
            next_report += HEARTBEAT_S
        time.sleep(1)
    return metrics, _scored(env, state_dir, since)


def _check_services(running: list[ManagedProcess]) -> None:
    """Raise, naming the step, when a service of the loop has exited: the loop must not go on as if
    it were running (a runtime that stopped at start would leave every later count silently short)."""
    for process in running:
        if not process.alive():
            code = process.process.returncode if process.process is not None else None
            raise LocalLoopError(
                f"step {process.name} failed: its process exited (exit {code}); log: {process.log_path}"
            )


def _manifest_healthy(manifest: Path, since: float) -> bool:
    """True once `manifest` was rewritten (modified at or after `since`, wall clock) saying healthy."""
    try:
        if manifest.stat().st_mtime < since:
            return False  # left by a previous run: its `healthy` says nothing about this one
        return json.loads(manifest.read_text(encoding="utf-8")).get("healthy") is True
    except (OSError, ValueError):
        return False  # not written yet, or being replaced


def _service_ready(step: LocalStep, since: float) -> Callable[[], bool]:
    """A service step is ready when its port accepts connections and, for the endpoint, its manifest
    was rewritten healthy by this run (the runtime started next refuses an unhealthy endpoint)."""
    port = step.ready_port
    manifest = step.params.get("ready_manifest")

    def ready() -> bool:
        if port and not port_open(port):
            return False
        return manifest is None or _manifest_healthy(Path(str(manifest)), since)

    return ready


def _run_number(state_dir: Path) -> int:
    """1 for a fresh state folder, else one more than the previous run's (from `loop-summary.json`)."""
    previous = state_dir / "loop-summary.json"
    if not previous.is_file():
        return 1
    try:
        return int(json.loads(previous.read_text(encoding="utf-8")).get("run", 1)) + 1
    except (OSError, ValueError, TypeError):
        return 2


PORTS_HINT = f"; stop it, or set another port in a YAML file named by ${OVERRIDES_VARIABLE}"


def configured_ports(env: Environment, steps: list[LocalStep]) -> dict[int, str]:
    """Each fixed port the loop listens on -> what it is for and the environment key that sets it."""
    assert env.local is not None
    keys = {getattr(env.local, key): key for key in type(env.local).model_fields if key.endswith("_port")}
    return {
        step.ready_port: f"{step.name}: {step.description}, local.{keys[step.ready_port]}"
        for step in steps
        if step.ready_port is not None and step.ready_port in keys
    }


def print_local_plan(steps: list[LocalStep], console: Console) -> None:
    table = Table(title="Local loop")
    for column in ("#", "step", "kind", "what"):
        table.add_column(column)
    for index, step in enumerate(steps, start=1):
        table.add_row(str(index), step.name, step.kind, step.description)
    console.print(table)


def stack_state_dir(env: Environment, root: Path) -> Path:
    """The local stack's state folder (`local.state_dir`, relative to the repository root)."""
    assert env.local is not None
    return (root / env.local.state_dir).resolve()


def run_local(
    env: Environment,
    root: Path,
    plan_only: bool = False,
    once: bool = False,
    events: int = 3000,
    scenario: DriftScenario | None = None,
) -> int:
    """Run the local loop. Services stay up afterwards until Ctrl-C (or stop at once with `once`).
    `scenario`: the drift phase's (default: the environment's `loop.drift_scenario`); the plan refuses
    one the schema cannot carry before anything starts."""
    console = Console(width=None if Console().is_terminal else 160)
    state_dir = stack_state_dir(env, root)
    started_at = datetime.now(UTC).replace(microsecond=0)
    steps = local_plan(env, state_dir, events, scenario, started_at)
    print_local_plan(steps, console)
    if plan_only:
        return 0
    run = _run_number(state_dir)
    console.print(
        f"state folder {state_dir}: "
        + ("first run" if run == 1 else f"run {run}, reusing the state of the previous runs")
    )
    runtime_metrics(state_dir).unlink(missing_ok=True)  # the previous run's: this run's runtime rewrites it
    logs = state_dir / "logs"
    # The state folder holds the telemetry store, keys and manifests: the user's alone, and so is every
    # file the loop's processes write (they inherit the umask).
    os.umask(0o077)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o700)
    with Supervisor() as supervisor:
        try:
            return _run_steps(env, root, steps, state_dir, started_at, run, once, supervisor, console)
        except KeyboardInterrupt as interrupt:
            console.print(
                f"interrupted ({interrupt or 'SIGINT'}) before the loop finished: stopping every service"
            )
            return 130
        except (StandInError, LocalLoopError) as exc:
            console.print(f"[red]error:[/red] {exc} (logs in {logs})")
            return 1


def _run_steps(
    env: Environment,
    root: Path,
    steps: list[LocalStep],
    state_dir: Path,
    started_at: datetime,
    run: int,
    once: bool,
    supervisor: Supervisor,
    console: Console,
) -> int:
    logs = state_dir / "logs"
    try:
        check_ports_free(configured_ports(env, steps), hint=PORTS_HINT)
    except StandInError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 1
    running: list[ManagedProcess] = []
    child_env: dict[str, str] = {}
    for index, step in enumerate(steps, start=1):
        console.print(f"[bold][{index}/{len(steps)}] {step.name}[/bold]: {step.description}")
        began, began_wall = time.monotonic(), time.time()
        if step.kind == "standin" and step.name == "broker":
            supervisor.adopt(start_broker(state_dir, port=step.ready_port, die_with_parent=True).process)
        elif step.kind == "standin" and step.name == "azurite":
            azurite = start_azurite(state_dir, port=step.ready_port, die_with_parent=True)
            supervisor.adopt(azurite.process)
            child_env = _child_environment(env, state_dir, azurite.connection_string)
        elif step.kind == "service":
            log = logs / f"{step.name}.log"
            process = ManagedProcess(
                step.name, step.argv, log, env=_step_environment(step, child_env), cwd=root
            )
            running.append(supervisor.start(process))
            process.wait_ready(_service_ready(step, began_wall), timeout_s=180)
        elif step.kind == "task":
            _run_task(step, child_env, root, logs, supervisor)
        elif step.kind == "wait":
            metrics, logged = _wait_scored(
                env, state_dir, started_at, int(step.params["events"]), lambda: _check_services(running)
            )
            console.print(
                f"    {metrics['events_in']} events read: {metrics['scored']} scored, "
                f"{metrics['dead_lettered']} dead-lettered, {sum(metrics['dropped'].values())} dropped; "
                f"{logged} rows in the inference log"
            )
            if logged < metrics["scored"]:
                console.print(
                    f"    [red]{metrics['scored'] - logged} scored rows are missing from the inference log[/red]"
                )
        _check_services(running)
        console.print(f"    done in {time.monotonic() - began:.1f} s")
    _summary(env, state_dir, started_at, run, console)
    _check_services(running)
    if once:
        console.print(f"run {run} on {state_dir} completed")
        return 0
    console.print("The loop is running. Ctrl-C (or SIGTERM) stops every stand-in.")
    try:
        while all(process.alive() for process in running):
            time.sleep(1)
    except KeyboardInterrupt as interrupt:
        console.print(f"{interrupt or 'SIGINT'}: stopping every service")
        return 0
    stopped = [process.name for process in running if not process.alive()]
    console.print(f"[red]stopped unexpectedly:[/red] {', '.join(stopped)} (logs in {logs})")
    return 1


def _run_task(
    step: LocalStep, child_env: dict[str, str], root: Path, logs: Path, supervisor: Supervisor
) -> None:
    log = logs / f"{step.name}.log"
    log.unlink(missing_ok=True)
    process = ManagedProcess(step.name, step.argv, log, env=_step_environment(step, child_env), cwd=root)
    supervisor.start(process)
    follower, began, last_shown = LogFollower(log), time.monotonic(), time.monotonic()
    while True:  # the task's own progress lines as it writes them; a heartbeat when it is quiet
        running = process.alive()
        for text in filter(None, map(progress_line, follower.new_lines())):
            print(f"    {text}", flush=True)
            last_shown = time.monotonic()
        if not running:
            break
        if time.monotonic() - last_shown >= HEARTBEAT_S:
            print(f"    ... {step.name} still running ({time.monotonic() - began:.0f} s)", flush=True)
            last_shown = time.monotonic()
        time.sleep(0.5)
    returncode = process.wait()
    if returncode not in step.params.get("ok_exit_codes", (0,)):
        raise LocalLoopError(f"step {step.name} failed (exit {returncode}); {log}:\n{process.log_tail(15)}")
    print(f"    (full output: {log})")


def _json_lines(log: Path, key: str) -> list[dict[str, Any]]:
    """The JSON objects with `key` that a step printed (the alert and retrain commands print one per result)."""
    found: list[dict[str, Any]] = []
    for line in log.read_text(errors="replace").splitlines() if log.is_file() else []:
        if line.startswith("{") and f'"{key}"' in line:
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def loop_summary(env: Environment, state_dir: Path, since: datetime, run: int = 1) -> dict[str, Any]:
    """What the loop did, from the stand-ins and the steps' own outputs; also written to `loop-summary.json`."""
    assert env.local is not None
    manifest = endpoint_manifest(state_dir)
    endpoint = json.loads(manifest.read_text()) if manifest.is_file() else {}
    logs = state_dir / "logs"

    def fired(log: str) -> list[str]:
        rules = _json_lines(logs / log, "rules")
        return [r["rule"] for r in rules[-1]["rules"] if r["fired"]] if rules else []

    def breached(log: str) -> list[str]:
        """The features over their thresholds in the rules that fired (the `feature` dimension)."""
        rules = _json_lines(logs / log, "rules")
        found = {
            b.get("feature")
            for r in (rules[-1]["rules"] if rules else [])
            if r["fired"]
            for b in r["breaches"]
        }
        return sorted(str(feature) for feature in found if feature)

    retrain = _json_lines(logs / "retrain.log", "retrain")
    metrics_file = runtime_metrics(state_dir)
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    summary = {
        "run": run,
        "started_at": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scoring_uri": endpoint.get("scoring_uri"),
        "serving_model": f"{endpoint.get('model_name')} v{endpoint.get('model_version')}",
        "endpoint_healthy": endpoint.get("healthy"),
        "rows_scored": _scored(env, state_dir, since),
        # Where every event the runtime read went (its --metrics file): scored, dead letter, dropped.
        "events": {
            key: metrics.get(key)
            for key in (
                "events_in",
                "scored",
                "dead_lettered",
                "dead_lettered_before_query",
                "dropped",
                "in_flight",
            )
        },
        "alerts_fired_before_drift": fired("alerts.log"),
        "alerts_fired_after_drift": fired("retrain.log"),
        "features_breached_before_drift": breached("alerts.log"),
        "features_breached_after_drift": breached("retrain.log"),
        "retrain": retrain[-1]["retrain"] if retrain else None,
        "drift_reports": sorted(str(p) for p in (state_dir / "monitoring").rglob("*.html")),
    }
    (state_dir / "loop-summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _summary(env: Environment, state_dir: Path, since: datetime, run: int, console: Console) -> None:
    assert env.local is not None
    summary = loop_summary(env, state_dir, since, run)
    retrain = summary["retrain"] or {}
    table = Table(title="Local loop: what happened and where to look")
    table.add_column("what")
    table.add_column("value")
    table.add_row("run on this state folder", str(summary["run"]))
    table.add_row("scoring endpoint", str(summary["scoring_uri"]))
    table.add_row("serving model", summary["serving_model"])
    table.add_row("scored rows in the inference log (probes left out)", str(summary["rows_scored"]))
    events = summary["events"]
    dropped = {reason: count for reason, count in (events["dropped"] or {}).items() if count}
    table.add_row(
        "events read by the runtime",
        f"{events['events_in']}: {events['scored']} scored, {events['dead_lettered']} dead-lettered "
        f"({events['dead_lettered_before_query']} before the query), "
        f"{sum(dropped.values())} dropped{f' {dropped}' if dropped else ''}, {events['in_flight']} in flight",
    )
    table.add_row("alerts before drift", ", ".join(summary["alerts_fired_before_drift"]) or "none")
    table.add_row(
        "alerts after drift",
        ", ".join(summary["alerts_fired_after_drift"]) or "none",
    )
    table.add_row(
        "features over threshold after drift", ", ".join(summary["features_breached_after_drift"]) or "none"
    )
    table.add_row("retraining", f"{retrain.get('status', 'not started')}: {retrain.get('reason') or ''}")
    table.add_row("drift report", summary["drift_reports"][-1] if summary["drift_reports"] else "none")
    table.add_row("telemetry (collector)", f"http://127.0.0.1:{env.local.collector_port}/query/inferences")
    table.add_row(
        "inference data (Azurite)",
        f"{azurite_blob_endpoint(env.local.azurite_blob_port)}/{env.storage.inference_container}",
    )
    table.add_row("logs", str(state_dir / "logs"))
    console.print(table)
