"""The local loop as data (pure): which stand-ins start, which commands run, in which order.

The loop shows the whole system on one machine: train and register a model, serve it behind one stable
URL, score a stream through the same query, log every row, export it, measure drift, and when a drifted
stream makes an alert fire, retrain and roll the new model out.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from environments.model import Environment


@dataclass(frozen=True)
class LocalStep:
    """`service`: started in the background and kept running; `task`: runs to completion."""

    name: str
    kind: str  # standin | service | task | wait
    argv: tuple[str, ...] = ()
    description: str = ""
    ready_port: int | None = None
    params: dict[str, object] = field(default_factory=dict)


def _py(*args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", *args)


def local_plan(env: Environment, state_dir: Path, events: int, drift_scenario: str) -> list[LocalStep]:
    assert env.local is not None
    local = env.local
    collector_db = state_dir / "collector" / "telemetry.db"
    return [
        LocalStep(
            "broker",
            "standin",
            description="Kafka-protocol broker (Event Hubs)",
            ready_port=local.broker_port,
        ),
        LocalStep(
            "azurite", "standin", description="Azurite (Blob Storage)", ready_port=local.azurite_blob_port
        ),
        LocalStep(
            "collector",
            "service",
            _py("monitoring", "collector", "--port", str(local.collector_port), "--db", str(collector_db)),
            "Application Insights collector",
            ready_port=local.collector_port,
        ),
        LocalStep(
            "train",
            "task",
            _py("ml", "pipeline", env.name),
            "training pipeline: prep -> train -> gate -> register",
        ),
        LocalStep(
            "endpoint",
            "service",
            _py("ml", "serve", env.name, "--port", str(local.endpoint_port)),
            "scoring endpoint (azmlinfsrv behind one stable URL)",
            ready_port=local.endpoint_port,
        ),
        LocalStep(
            "engine",
            "service",
            _py("streaming", "run", env.name),
            "Stream Analytics query on the local engine",
        ),
        LocalStep(
            "traffic",
            "task",
            _py("streaming", "produce", env.name, "--count", str(events)),
            f"{events} card transactions into the input hub",
        ),
        LocalStep(
            "scored", "wait", description="every produced event scored and logged", params={"events": events}
        ),
        LocalStep(
            "export", "task", _py("export", "run", env.name), "inference records -> Parquet in blob storage"
        ),
        LocalStep(
            "drift",
            "task",
            _py("monitoring", "drift-pipeline", env.name),
            "drift metrics vs the training baseline",
        ),
        LocalStep(
            "alerts",
            "task",
            _py("monitoring", "alerts", "evaluate", env.name),
            "alert rules (no drift yet: quiet)",
        ),
        LocalStep(
            "drifted-traffic",
            "task",
            _py("streaming", "produce", env.name, "--count", str(events), "--scenario", drift_scenario),
            f"{events} transactions with drift scenario '{drift_scenario}'",
        ),
        LocalStep(
            "drifted-scored", "wait", description="drifted events scored", params={"events": 2 * events}
        ),
        LocalStep("export-drifted", "task", _py("export", "run", env.name), "export the drifted window"),
        LocalStep(
            "drift-drifted", "task", _py("monitoring", "drift-pipeline", env.name), "drift metrics again"
        ),
        LocalStep(
            "alerts-retrain",
            "task",
            _py("monitoring", "alerts", "evaluate", env.name, "--retrain"),
            "alert fires -> retrain -> gate -> safe rollout",
        ),
    ]
