"""The local loop as data (pure): which stand-ins start, which commands run, in which order.

The loop shows the whole system on one machine: train and register a model, serve it behind one stable
URL, score a stream through the same Stream Analytics query, log every row, export it, measure drift;
then a drifted stream makes the alert fire, which retrains and rolls the new model out if it passes the
gate. Every command is a domain's own command line (the contract between domains).
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from environments.drift_scenario import DriftScenario, check_scenario
from environments.errors import ConfigError
from environments.local_secrets import (
    BLOB_VARIABLE,
    COLLECTOR_IKEY_VARIABLE,
    COLLECTOR_KEY_VARIABLE,
    KEY_VARIABLE,
    SECRET_VARIABLES,
    TELEMETRY_VARIABLE,
)
from environments.model import Environment

# Each step is given only the secrets it names in `LocalStep.secrets`; no process inherits them.
__all__ = [
    "BLOB_VARIABLE",
    "KEY_VARIABLE",
    "SECRET_VARIABLES",
    "TELEMETRY_VARIABLE",
    "LocalStep",
    "local_plan",
]


@dataclass(frozen=True)
class LocalStep:
    """`standin`/`service`: started in the background and kept running; `task`: runs to completion;
    `wait`: polls the collector until the produced events are scored. `secrets`: the variables of
    `SECRET_VARIABLES` the step's process gets (only those it uses)."""

    name: str
    kind: str
    description: str
    argv: tuple[str, ...] = ()
    ready_port: int | None = None
    params: dict[str, Any] = field(default_factory=dict)  # per kind: wait's events, a task's ok_exit_codes
    secrets: tuple[str, ...] = ()


def endpoint_manifest(state_dir: Path) -> Path:
    """The local endpoint manifest (docs/contracts.md, Endpoint manifest), written by `ml serve`."""
    return state_dir / "ml" / "endpoint.json"


def runtime_metrics(state_dir: Path) -> Path:
    """Where the streaming runtime keeps its accounting (docs/contracts.md, Streaming runtime metrics)."""
    return state_dir / "streaming" / "metrics.json"


def _py(*args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", *args)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def export_window(started_at: datetime) -> tuple[datetime, datetime]:
    """The whole hours the loop exports: the hour it started in and the next (the export layout is hourly
    and a rerun rewrites the same blobs)."""
    start = started_at.replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(hours=2)


SCENARIO_FLAG = "--drift-scenario"


def drift_scenario(env: Environment, given: DriftScenario | None) -> DriftScenario:
    """The drift phase's scenario (`given` by the flag, else `loop.drift_scenario`), checked against the
    environment's schema: refused with one line naming the feature and what is wrong."""
    where = SCENARIO_FLAG if given is not None else f"{env.name}: loop.drift_scenario"
    scenario = given if given is not None else (env.loop.drift_scenario if env.loop else None)
    if scenario is None:
        raise ConfigError(
            env.name,
            [
                f"{env.name}: loop.drift_scenario: not set; the loop's drift phase needs one (or {SCENARIO_FLAG})"
            ],
        )
    check_scenario(scenario, env.data_schema(), where)
    return scenario


def _sample_step(
    env: Environment, state_dir: Path, name: str, description: str, out: Path, *args: str
) -> LocalStep:
    """An `ml data --out` step: generated rows, or rows of the user's file (it reads the held-out part
    that training wrote to the state folder)."""
    argv = _py("ml", "data", env.name, "--state-dir", str(state_dir), "--out", str(out), *args)
    return LocalStep(name, "task", description, argv)


def local_plan(
    env: Environment,
    state_dir: Path,
    events: int,
    scenario: DriftScenario | None,
    started_at: datetime,
) -> list[LocalStep]:
    """The steps of a loop run started at `started_at` (UTC, whole seconds), with the drift phase's
    `scenario` (None: the environment's `loop.drift_scenario`), refused here if the schema cannot carry it.
    The normal phase replays the held-out part of `data.training_file` when one is set (`ml.data.replay`),
    else generated rows; the drift phase applies the scenario to the same kind of rows.
    The export covers whole hours (`export_window`); the drift runs and alert evaluations judge only what
    this run sent, from `started_at` on: an earlier run on the same state folder within the hour left its
    drifted inference rows in the export and its drift metrics in the collector."""
    if env.local is None:
        raise ValueError(f"{env.name} is not a local environment")
    drift = drift_scenario(env, scenario)
    drift_spec = json.dumps(drift.model_dump(), sort_keys=True)
    local = env.local
    user_file = env.data.training_file
    rows_kind = (
        f"rows replayed from the held-out part of {Path(user_file).name}" if user_file else "generated rows"
    )
    start, end = (_iso(moment) for moment in export_window(started_at))
    span = ("--from", start, "--to", end)
    since = _iso(started_at)
    this_run = ("--from", since, "--to", end)
    data = state_dir / "loop"
    normal, drifted = data / "normal.jsonl", data / "drifted.jsonl"
    fresh = data / "drifted-labelled.parquet"
    fresh_rows = ("--whole-file",) if user_file else ("--rows", str(env.data.training_rows))
    return [
        LocalStep("broker", "standin", "Kafka-protocol broker (Event Hubs)", ready_port=local.broker_port),
        LocalStep("azurite", "standin", "Azurite (Blob Storage)", ready_port=local.azurite_blob_port),
        LocalStep(
            "collector",
            "service",
            "Application Insights collector",
            _py(
                "monitoring",
                "collector",
                "--port",
                str(local.collector_port),
                "--db",
                str(state_dir / "collector.sqlite"),
            ),
            ready_port=local.collector_port,
            secrets=(COLLECTOR_IKEY_VARIABLE, COLLECTOR_KEY_VARIABLE),
        ),
        LocalStep(
            "train",
            "task",
            "training pipeline: prep -> train -> evaluate gate -> register",
            _py("ml", "pipeline", env.name),
        ),
        LocalStep(
            "endpoint",
            "service",
            "scoring endpoint: azmlinfsrv behind one stable URL",
            _py("ml", "serve", env.name, "--port", str(local.endpoint_port)),
            ready_port=local.endpoint_port,
            # Ready once the manifest is rewritten healthy: one left `healthy: false` by the previous
            # run's shutdown would stop the runtime started next.
            params={"ready_manifest": str(endpoint_manifest(state_dir))},
            secrets=(KEY_VARIABLE, TELEMETRY_VARIABLE),
        ),
        LocalStep(
            "engine",
            "service",
            "the Stream Analytics query on the local engine",
            _py(
                "streaming",
                "run",
                env.name,
                "--blob-connection-string-env",
                BLOB_VARIABLE,
                "--endpoint-key-env",
                KEY_VARIABLE,
                "--metrics",
                str(runtime_metrics(state_dir)),
            ),
            secrets=(BLOB_VARIABLE, KEY_VARIABLE),
        ),
        _sample_step(
            env,
            state_dir,
            "data",
            f"{events} {rows_kind}, like the training data",
            normal,
            *("--rows", str(events), "--seed", "101", "--start", start),
        ),
        LocalStep(
            "traffic",
            "task",
            "send them to the input hub",
            _py("streaming", "produce", env.name, "--file", str(normal)),
        ),
        LocalStep(
            "scored",
            "wait",
            "wait until every event is accounted for (scored, dead-lettered or dropped) and scored rows are logged",
            params={"events": events},
        ),
        LocalStep(
            "export",
            "task",
            "inference records -> Parquet in blob storage",
            _py("export", "run", env.name, *span),
            secrets=(BLOB_VARIABLE, COLLECTOR_KEY_VARIABLE),
        ),
        LocalStep(
            "drift",
            "task",
            "drift metrics against the training baseline",
            _py("monitoring", "drift-pipeline", env.name, *this_run),
            secrets=(BLOB_VARIABLE, TELEMETRY_VARIABLE),
        ),
        LocalStep(
            "alerts",
            "task",
            "alert rules on the drift metrics: quiet",
            _py("monitoring", "alerts", "evaluate", env.name, "--since", since, "--no-retrain"),
            secrets=(COLLECTOR_KEY_VARIABLE,),
        ),
        _sample_step(
            env,
            state_dir,
            "drifted-data",
            f"{events} {rows_kind}, drifted: {drift.describe()}",
            drifted,
            *("--rows", str(events), "--seed", "202", "--start", start, "--drift", drift_spec),
        ),
        LocalStep(
            "drifted-traffic",
            "task",
            "send them to the input hub",
            _py("streaming", "produce", env.name, "--file", str(drifted)),
        ),
        LocalStep(
            "drifted-scored",
            "wait",
            "wait until every drifted event is accounted for (scored, dead-lettered or dropped), scored rows logged",
            params={"events": 2 * events},
        ),
        LocalStep(
            "drifted-export",
            "task",
            "export the window again (same blobs, rewritten)",
            _py("export", "run", env.name, *span),
            secrets=(BLOB_VARIABLE, COLLECTOR_KEY_VARIABLE),
        ),
        LocalStep(
            "drifted-drift",
            "task",
            "drift metrics again",
            _py("monitoring", "drift-pipeline", env.name, *this_run),
            secrets=(BLOB_VARIABLE, TELEMETRY_VARIABLE),
        ),
        _sample_step(
            env,
            state_dir,
            "fresh-labels",
            f"labelled rows of the drifted period ({'the whole file' if user_file else 'generated'}, "
            f"{drift.describe()}), for retraining",
            fresh,
            *fresh_rows,
            *("--seed", "303", "--drift", drift_spec),
        ),
        LocalStep(
            "retrain",
            "task",
            "alert fires -> retrain on fresh labels -> evaluation gate -> safe rollout",
            _py(
                "monitoring",
                "alerts",
                "evaluate",
                env.name,
                "--since",
                since,
                "--pipeline-command",
                shlex.join([sys.executable, "-m", "ml", "pipeline", env.name, "--data", str(fresh)]),
            ),
            # 3: the gate kept the serving model, an outcome of the loop rather than a failure.
            params={"ok_exit_codes": (0, 3)},
            secrets=(KEY_VARIABLE, COLLECTOR_KEY_VARIABLE),
        ),
    ]
