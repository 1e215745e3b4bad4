"""Which time ranges each step of a local loop run judges (the plan is pure data): the export rewrites whole
hours, while drift and alerts judge only this run, so a second run within the hour on the same state folder
is not judged by the first run's drifted rows and metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from environments.deploy.local_plan import local_plan
from environments.loader import load_environment

STARTED = datetime(2026, 11, 30, 6, 41, 28, tzinfo=UTC)


def _option(argv: tuple[str, ...], name: str) -> str:
    return argv[argv.index(name) + 1]


def _steps() -> dict:
    steps = local_plan(load_environment("local"), Path("/state"), 10, None, STARTED)
    return {step.name: step.argv for step in steps}


def test_the_export_rewrites_whole_hours() -> None:
    steps = _steps()
    for name in ("export", "drifted-export"):
        assert (_option(steps[name], "--from"), _option(steps[name], "--to")) == (
            "2026-11-30T06:00:00Z",
            "2026-11-30T08:00:00Z",
        )


def test_drift_and_alerts_judge_only_this_run() -> None:
    steps = _steps()
    for name in ("drift", "drifted-drift"):
        assert (_option(steps[name], "--from"), _option(steps[name], "--to")) == (
            "2026-11-30T06:41:28Z",
            "2026-11-30T08:00:00Z",
        )
    for name in ("alerts", "retrain"):
        assert steps[name][2:6] == ("monitoring", "alerts", "evaluate", "local")
        assert _option(steps[name], "--since") == "2026-11-30T06:41:28Z"
