"""The local loop as data (pure): which stand-ins start, which commands run, in which order.

The loop shows the whole system on one machine: train and register a model, serve it behind one stable
URL, score a stream through the same Stream Analytics query, log every row, export it, measure drift;
then a drifted stream makes the alert fire, which retrains and rolls the new model out if it passes the
gate. Every command is a domain's own command line (the contract between domains).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

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


def local_plan(
    env: Environment, state_dir: Path, events: int, scenario: str, started_at: datetime
) -> list[LocalStep]:
    """The steps of a loop run started at `started_at` (UTC, whole seconds). The export covers whole hours
    (`export_window`); the drift runs and alert evaluations judge only what this run sent, from
    `started_at` on: an earlier run on the same state folder within the hour left its drifted inference
    rows in the export and its drift metrics in the collector."""
    if env.local is None:
        raise ValueError(f"{env.name} is not a local environment")
    local = env.local
    start, end = (_iso(moment) for moment in export_window(started_at))
    span = ("--from", start, "--to", end)
    since = _iso(started_at)
    this_run = ("--from", since, "--to", end)
    data = state_dir / "loop"
    normal, drifted = data / "normal.jsonl", data / f"{scenario}.jsonl"
    fresh = data / f"{scenario}-labelled.parquet"
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
        LocalStep(
            "data",
            "task",
            f"{events} transactions like the training data",
            _py(
                "ml",
                "data",
                env.name,
                "--out",
                str(normal),
                "--rows",
                str(events),
                "--seed",
                "101",
                "--start",
                start,
            ),
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
        LocalStep(
            "drifted-data",
            "task",
            f"{events} transactions with drift scenario '{scenario}'",
            _py(
                "ml",
                "data",
                env.name,
                "--out",
                str(drifted),
                "--rows",
                str(events),
                "--seed",
                "202",
                "--scenario",
                scenario,
                "--start",
                start,
            ),
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
        LocalStep(
            "fresh-labels",
            "task",
            "labelled transactions from the drifted period, for retraining",
            _py(
                "ml",
                "data",
                env.name,
                "--out",
                str(fresh),
                "--rows",
                str(env.data.training_rows),
                "--seed",
                "303",
                "--scenario",
                scenario,
            ),
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
