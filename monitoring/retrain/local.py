"""Local retraining: training pipeline -> evaluation gate -> registration -> safe rollout, each step logged.

The steps are the ML domain's command lines (its contract in docs/contracts.md):

1. ``python -m ml pipeline <env>`` trains, evaluates the challenger against the serving champion and
   registers it only when the gate passes. Exit 0 prints a JSON object last,
   ``{"registration": {"registered": bool, "reason": str, "version": ...}, "manifest": {...}}``.
   Exit non-zero: the pipeline failed (nothing registered).
2. Only when ``registered`` is true: ``python -m ml rollout <env>`` deploys the new version beside the old
   one at 0 %, smoke-tests it and shifts traffic; a non-zero exit means the old deployment keeps serving.

A rejected gate stops before the rollout, with the gate's reason: the serving model stays. The commands
can be replaced (``RetrainSteps``), e.g. by stand-ins in tests or a wrapper in a user's set-up, through
`python -m monitoring alerts evaluate --pipeline-command/--rollout-command` or the environment variables
``STREAMSCORE_RETRAIN_PIPELINE_COMMAND`` / ``STREAMSCORE_RETRAIN_ROLLOUT_COMMAND`` (shell-style, with
``{env}`` replaced by the environment name).
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from monitoring.retrain.errors import StepError

LOG = logging.getLogger("streamscore.monitoring.retrain")
REPO = Path(__file__).resolve().parents[2]
PIPELINE_VARIABLE = "STREAMSCORE_RETRAIN_PIPELINE_COMMAND"
ROLLOUT_VARIABLE = "STREAMSCORE_RETRAIN_ROLLOUT_COMMAND"

Runner = Callable[[list[str]], subprocess.CompletedProcess[str]]
Status = Literal["rolled_out", "gate_rejected", "pipeline_failed", "rollout_failed"]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a step, logging each line it prints before its JSON result as it comes (training takes
    minutes: its `step train: ...` lines are the retraining's progress); stdout and stderr are kept."""
    with subprocess.Popen(
        argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        stdout, stderr = process.stdout, process.stderr
        assert stdout is not None and stderr is not None  # both are pipes
        errors: list[str] = []
        reader = threading.Thread(target=lambda: errors.extend(stderr), daemon=True)  # never blocks the child
        reader.start()
        printed: list[str] = []
        in_result = False
        for line in stdout:
            in_result = in_result or line.startswith("{")
            if not in_result and line.strip():
                LOG.info("retrain:   %s", line.rstrip())
            printed.append(line)
        returncode = process.wait()
        reader.join()
    return subprocess.CompletedProcess(argv, returncode, "".join(printed), "".join(errors))


@dataclass(frozen=True)
class RetrainSteps:
    """The two command lines of a local retraining."""

    pipeline: list[str]
    rollout: list[str]

    @classmethod
    def for_environment(
        cls,
        env_name: str,
        pipeline_command: str | None = None,
        rollout_command: str | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> RetrainSteps:
        """The ML commands for `env_name`, unless a command or environment variable replaces them."""

        def command(given: str | None, variable: str, default: list[str]) -> list[str]:
            text = given or environ.get(variable)
            return shlex.split(text.replace("{env}", env_name)) if text else default

        return cls(
            pipeline=command(
                pipeline_command, PIPELINE_VARIABLE, [sys.executable, "-m", "ml", "pipeline", env_name]
            ),
            rollout=command(
                rollout_command, ROLLOUT_VARIABLE, [sys.executable, "-m", "ml", "rollout", env_name]
            ),
        )


@dataclass(frozen=True)
class RetrainOutcome:
    """How a retraining ended; `serving_kept` says the previously serving model still serves."""

    status: Status
    reason: str
    version: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def serving_kept(self) -> bool:
        return self.status != "rolled_out"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "version": self.version,
            "serving_kept": self.serving_kept,
            "steps": self.steps,
        }


def registration_from_output(stdout: str) -> dict[str, Any]:
    """The `registration` record from the pipeline's output (its last JSON object)."""
    start = stdout.rfind("\n{")
    text = stdout[start + 1 :] if start >= 0 else stdout.strip()
    try:
        document = json.loads(text)
        registration = document["registration"]
        registered = registration["registered"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise StepError(f"the pipeline's output ends without a registration record: {exc}") from exc
    if not isinstance(registered, bool):
        raise StepError(f"registration.registered is {registered!r}, expected true or false")
    return registration


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def retrain_locally(steps: RetrainSteps, run: Runner = _run) -> RetrainOutcome:
    """Run pipeline (with its gate) then, only if a new version was registered, the safe rollout."""
    log: list[dict[str, Any]] = []

    def step(name: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
        LOG.info("retrain: %s: %s", name, shlex.join(argv))
        try:
            done = run(argv)
        except OSError as exc:
            raise StepError(f"{name}: cannot run {shlex.join(argv)}: {exc}") from exc
        LOG.info("retrain: %s exited %d", name, done.returncode)
        log.append(
            {"step": name, "command": argv, "exit_code": done.returncode, "stderr_tail": _tail(done.stderr)}
        )
        return done

    pipeline = step("pipeline", steps.pipeline)
    if pipeline.returncode != 0:
        reason = f"training pipeline failed (exit {pipeline.returncode}): {_tail(pipeline.stderr, 5)}"
        LOG.error("retrain: %s; the serving model stays", reason)
        return RetrainOutcome("pipeline_failed", reason, steps=log)
    registration = registration_from_output(pipeline.stdout)
    if not registration["registered"]:
        reason = f"evaluation gate rejected the new model: {registration.get('reason', 'no reason given')}"
        LOG.warning("retrain: %s; the serving model stays", reason)
        return RetrainOutcome("gate_rejected", reason, steps=log)
    version = str(registration.get("version"))
    LOG.info("retrain: gate passed, registered version %s: %s", version, registration.get("reason", ""))
    rollout = step("rollout", steps.rollout)
    if rollout.returncode != 0:
        reason = f"safe rollout of version {version} failed (exit {rollout.returncode}): {_tail(rollout.stderr, 5)}"
        LOG.error("retrain: %s; the previous deployment keeps serving", reason)
        return RetrainOutcome("rollout_failed", reason, version, log)
    LOG.info("retrain: version %s serves", version)
    return RetrainOutcome("rolled_out", f"version {version} passed the gate and serves", version, log)
