"""`nox -s deploy-local`: run the local loop's plan on this machine, every Azure service on a loopback
stand-in, then keep the services up (Ctrl-C stops them) unless `--once`."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from environments.deploy.local_plan import BLOB_VARIABLE, KEY_VARIABLE, LocalStep, local_plan
from environments.errors import EnvironmentsError
from environments.loader import OVERRIDES_VARIABLE
from environments.model import Environment
from environments.standins import ManagedProcess, StandInError, start_azurite, start_broker
from environments.standins.ports import check_ports_free
from environments.standins.process import port_open

DRIFT_SCENARIO = "amount_inflation"


class LocalLoopError(EnvironmentsError):
    """A step of the local loop failed; names the step and where its log is."""


def _window(now: datetime) -> tuple[datetime, datetime]:
    start = now.replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(hours=2)


def _child_environment(env: Environment, state_dir: Path, blob_connection: str) -> dict[str, str]:
    assert env.local is not None
    key = os.environ.get(KEY_VARIABLE) or secrets.token_urlsafe(32)
    return {
        BLOB_VARIABLE: blob_connection,
        KEY_VARIABLE: key,
        "APPLICATIONINSIGHTS_CONNECTION_STRING": (
            "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
            f"IngestionEndpoint=http://127.0.0.1:{env.local.collector_port}/"
        ),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONUNBUFFERED": "1",
    }


def _scored(env: Environment, since: datetime) -> int:
    assert env.local is not None
    url = (
        f"http://127.0.0.1:{env.local.collector_port}/query/count"
        f"?type=event&name=inference&from={since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
    with urllib.request.urlopen(url, timeout=30) as response:  # loopback collector
        return int(json.load(response)["count"])


def _wait_scored(env: Environment, since: datetime, expected: int, timeout_s: float = 300) -> int:
    """Poll the collector until `expected` rows are logged, or the count stops growing (rows that the
    query sent to the dead-letter output are never scored)."""
    deadline = time.monotonic() + timeout_s
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = _scored(env, since)
        if count >= expected:
            return count
        if count != last:
            last, last_change = count, time.monotonic()
        elif count > 0 and time.monotonic() - last_change > 20:
            return count
        time.sleep(1)
    raise LocalLoopError(f"only {max(last, 0)} of {expected} events were scored after {timeout_s:.0f} s")


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


def run_local(
    env: Environment, root: Path, plan_only: bool = False, once: bool = False, events: int = 3000
) -> int:
    """Run the local loop. Services stay up afterwards until Ctrl-C (or stop at once with `once`)."""
    assert env.local is not None
    console = Console(width=None if Console().is_terminal else 160)
    state_dir = (root / env.local.state_dir).resolve()
    started_at = datetime.now(UTC).replace(microsecond=0)
    steps = local_plan(env, state_dir, events, DRIFT_SCENARIO, _window(started_at))
    print_local_plan(steps, console)
    if plan_only:
        return 0
    logs = state_dir / "logs"
    try:
        check_ports_free(configured_ports(env, steps), hint=PORTS_HINT)
    except StandInError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 1
    running: list[ManagedProcess] = []
    stand_ins = []
    child_env: dict[str, str] = {}
    try:
        for index, step in enumerate(steps, start=1):
            console.print(f"[bold][{index}/{len(steps)}] {step.name}[/bold]: {step.description}")
            began = time.monotonic()
            if step.kind == "standin" and step.name == "broker":
                stand_ins.append(start_broker(state_dir, port=step.ready_port))
            elif step.kind == "standin" and step.name == "azurite":
                azurite = start_azurite(state_dir, port=step.ready_port)
                stand_ins.append(azurite)
                child_env = _child_environment(env, state_dir, azurite.connection_string)
            elif step.kind == "service":
                process = ManagedProcess(
                    step.name, step.argv, logs / f"{step.name}.log", env=child_env, cwd=root
                )
                running.append(process.start())
                port = step.ready_port
                process.wait_ready((lambda p=port: port_open(p)) if port else (lambda: True), timeout_s=180)
            elif step.kind == "task":
                _run_task(step, child_env, root, logs)
            elif step.kind == "wait":
                count = _wait_scored(env, started_at, int(step.params["events"]))
                console.print(f"    {count} rows scored and logged so far")
            console.print(f"    done in {time.monotonic() - began:.1f} s")
        _summary(env, state_dir, started_at, console)
        if once:
            return 0
        console.print("The loop is running. Ctrl-C stops every stand-in.")
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            while all(process.alive() for process in running):
                time.sleep(1)
        except KeyboardInterrupt:
            return 0
        stopped = [process.name for process in running if not process.alive()]
        console.print(f"[red]stopped unexpectedly:[/red] {', '.join(stopped)} (logs in {logs})")
        return 1
    except (StandInError, LocalLoopError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    finally:
        for process in reversed(running):
            process.stop()
        for stand_in in reversed(stand_ins):
            stand_in.stop()


def _run_task(step: LocalStep, child_env: dict[str, str], root: Path, logs: Path) -> None:
    log = logs / f"{step.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        completed = subprocess.run(
            list(step.argv),
            cwd=root,
            env={**os.environ, **child_env},
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    if completed.returncode not in step.params.get("ok_exit_codes", (0,)):
        raise LocalLoopError(f"step {step.name} failed (exit {completed.returncode}); {log}:\n{tail}")
    for line in tail.splitlines()[-4:]:
        print(f"    {line}")


def _json_lines(log: Path, key: str) -> list[dict]:
    """The JSON objects with `key` that a step printed (the alert and retrain commands print one per result)."""
    found = []
    for line in log.read_text(errors="replace").splitlines() if log.is_file() else []:
        if line.startswith("{") and f'"{key}"' in line:
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def loop_summary(env: Environment, state_dir: Path, since: datetime) -> dict:
    """What the loop did, from the stand-ins and the steps' own outputs; also written to `loop-summary.json`."""
    assert env.local is not None
    manifest = state_dir / "ml" / "endpoint.json"
    endpoint = json.loads(manifest.read_text()) if manifest.is_file() else {}
    logs = state_dir / "logs"

    def fired(log: str) -> list[str]:
        rules = _json_lines(logs / log, "rules")
        return [r["rule"] for r in rules[-1]["rules"] if r["fired"]] if rules else []

    retrain = _json_lines(logs / "retrain.log", "retrain")
    summary = {
        "scoring_uri": endpoint.get("scoring_uri"),
        "serving_model": f"{endpoint.get('model_name')} v{endpoint.get('model_version')}",
        "endpoint_healthy": endpoint.get("healthy"),
        "rows_scored": _scored(env, since),
        "alerts_fired_before_drift": fired("alerts.log"),
        "alerts_fired_after_drift": fired("retrain.log"),
        "retrain": retrain[-1]["retrain"] if retrain else None,
        "drift_reports": sorted(str(p) for p in (state_dir / "monitoring").rglob("*.html")),
    }
    (state_dir / "loop-summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _summary(env: Environment, state_dir: Path, since: datetime, console: Console) -> None:
    assert env.local is not None
    summary = loop_summary(env, state_dir, since)
    retrain = summary["retrain"] or {}
    table = Table(title="Local loop: what happened and where to look")
    table.add_column("what")
    table.add_column("value")
    table.add_row("scoring endpoint", str(summary["scoring_uri"]))
    table.add_row("serving model", summary["serving_model"])
    table.add_row("rows scored and logged", str(summary["rows_scored"]))
    table.add_row("alerts before drift", ", ".join(summary["alerts_fired_before_drift"]) or "none")
    table.add_row("alerts after drift", ", ".join(summary["alerts_fired_after_drift"]) or "none")
    table.add_row("retraining", f"{retrain.get('status', 'not started')}: {retrain.get('reason') or ''}")
    table.add_row("drift report", summary["drift_reports"][-1] if summary["drift_reports"] else "none")
    table.add_row("telemetry (collector)", f"http://127.0.0.1:{env.local.collector_port}/query/inferences")
    table.add_row(
        "inference data (Azurite)",
        f"http://127.0.0.1:{env.local.azurite_blob_port}/devstoreaccount1/{env.storage.inference_container}",
    )
    table.add_row("logs", str(state_dir / "logs"))
    console.print(table)
