"""Safe rollout, the same steps locally and on Azure (pure flow over a `DeploymentTarget`).

1. create the new deployment (blue/green, whichever is not serving) at 0% traffic;
2. smoke-test it directly with a Stream Analytics-shaped batch holding one bad row;
   on failure remove the new one: the old deployment never stopped serving.
3. `rollout` (the first deployment, nothing to compare with): all traffic to it, the old one removed.
   `progressive_rollout` (`env.rollout`): mirrored traffic, then each live share in turn, each step
   judged against the old deployment over the same window (`rollout_policy.judge`); a regression
   puts all traffic back on the old deployment, removes the new one and raises RolledBackError
   naming the step and the numbers. At 100% the old deployment is kept `old_bake_s`, then removed,
   unless traffic was moved back to it meanwhile (`rollback`, `python -m ml rollout rollback <env>`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from environments.endpoint_deployments import next_deployment
from environments.model import Rollout
from ml.serving.errors import RolledBackError, RolloutError, ServingError, TrafficHistoryError
from ml.serving.manifests import ModelRef
from ml.serving.rollout_policy import Step, Verdict, WindowStats, judge, plan_steps
from ml.serving.smoke import SmokeBatch, check_smoke

logger = logging.getLogger("ml.serving.rollout")


class DeploymentTarget(Protocol):
    """An endpoint whose deployments can be created, called directly, given traffic and removed."""

    def serving(self) -> str | None:
        """The deployment taking traffic now, if any."""
        ...

    def create(self, name: str, model: ModelRef) -> None:
        """Create (or replace) deployment `name` serving `model`, at 0% traffic."""
        ...

    def invoke(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        """Call deployment `name` directly; HTTP status and decoded JSON answer."""
        ...

    def shift(self, name: str) -> None:
        """Send all traffic to `name`."""
        ...

    def delete(self, name: str) -> None:
        """Remove deployment `name` (it takes no traffic)."""
        ...


class ProgressiveTarget(DeploymentTarget, Protocol):
    """A target that can split and mirror traffic and measure each deployment."""

    def set_traffic(self, traffic: dict[str, int], mirror: dict[str, int]) -> None:
        """Live shares (summing to 100) and mirrored shares."""
        ...

    def deployment_names(self) -> list[str]:
        """Every deployment behind the endpoint, serving or not."""
        ...

    def record_traffic(self) -> None:
        """Record the deployments taking live and mirrored traffic now in the traffic history and wait
        until it is accepted (`TrafficHistoryError` otherwise); changes no traffic."""
        ...

    def traffic(self) -> dict[str, int]:
        """The live share of every deployment now."""
        ...

    def window(self, since: float) -> dict[str, WindowStats]:
        """What each deployment answered since `since` (unix time)."""
        ...


@dataclass(frozen=True)
class Clock:
    """Time for the rollout's waits (tests pass their own)."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    poll_s: float = 1.0


@dataclass(frozen=True)
class RolloutResult:
    deployment: str
    previous: str | None
    model: ModelRef
    steps: list[str] = field(default_factory=list)
    """What each progressive step concluded, in order."""


def _create_and_smoke(target: DeploymentTarget, name: str, model: ModelRef, smoke: SmokeBatch) -> None:
    """The new deployment at 0%, smoke-tested directly; removed again if anything fails."""
    logger.info("creating deployment %s with %s version %s at 0%% traffic", name, model.name, model.version)
    try:
        target.create(name, model)
        status, answer = target.invoke(name, smoke.body)
        check_smoke(smoke, status, answer, model.version)
    except ServingError as exc:
        logger.error("deployment %s failed before taking traffic (%s); removing it", name, exc)
        try:
            target.delete(name)
        except ServingError as cleanup:
            raise RolloutError(f"{exc}; and removing deployment {name} failed too: {cleanup}") from exc
        raise
    logger.info("smoke test passed (%d rows)", smoke.size)


def rollout(target: DeploymentTarget, model: ModelRef, smoke: SmokeBatch) -> RolloutResult:
    """Roll `model` out behind the endpoint in one shift; on any failure before it, roll back."""
    previous = target.serving()
    name = next_deployment(previous)
    try:
        _create_and_smoke(target, name, model, smoke)
    except ServingError:
        if previous:
            logger.error("deployment %s keeps serving", previous)
        raise
    logger.info("shifting traffic to %s", name)
    target.shift(name)
    if previous:
        logger.info("removing the previous deployment %s", previous)
        target.delete(previous)
    return RolloutResult(deployment=name, previous=previous, model=model)


def progressive_rollout(
    target: ProgressiveTarget,
    model: ModelRef,
    smoke: SmokeBatch,
    settings: Rollout,
    clock: Clock | None = None,
    progress: Callable[[str], None] | None = None,
) -> RolloutResult:
    """Mirror, shift step by step, bake, remove the old; roll back on the first regression.

    `progress` hears each step's name as it starts, then "bake" when the old deployment's bake begins.
    """
    clock = clock or Clock()
    progress = progress or (lambda _: None)
    previous = target.serving()
    if previous is None:
        return rollout(target, model, smoke)
    name = next_deployment(previous)
    _create_and_smoke(target, name, model, smoke)
    try:
        # Before any mirrored copy exists: ingestion must take the traffic history (decision 0014), or
        # the export could not tell the copies from live rows. A refusal stops here, naming the role.
        target.record_traffic()
    except TrafficHistoryError:
        logger.error("traffic history refused; removing deployment %s, %s keeps serving", name, previous)
        target.delete(name)
        raise
    concluded = []
    for step in plan_steps(settings, previous, name):
        logger.info("%s: traffic %s, mirror %s", step.name, step.traffic, step.mirror or "none")
        target.set_traffic(step.traffic, step.mirror)
        progress(step.name)
        verdict = _bake(target, step, previous, name, settings, clock)
        if verdict.outcome == "moved":
            raise RolledBackError(verdict.reason)
        if verdict.outcome == "rollback":
            logger.error("rolling back to %s: %s", previous, verdict.reason)
            target.set_traffic({previous: 100}, {})
            target.delete(name)
            raise RolledBackError(f"rolled back to deployment {previous}: {verdict.reason}")
        logger.info("passed %s", verdict.reason)
        concluded.append(verdict.reason)
    logger.info("%s takes all traffic; keeping %s for %d s", name, previous, settings.old_bake_s)
    progress("bake")
    deadline = clock.monotonic() + settings.old_bake_s
    while clock.monotonic() < deadline:
        serving = target.serving()
        if serving != name:
            raise RolledBackError(
                f"traffic went back to deployment {serving} during the bake period; {name} takes none"
            )
        clock.sleep(clock.poll_s)
    logger.info("bake period over; removing the previous deployment %s", previous)
    target.delete(previous)
    return RolloutResult(deployment=name, previous=previous, model=model, steps=concluded)


def _bake(
    target: ProgressiveTarget, step: Step, old: str, new: str, settings: Rollout, clock: Clock
) -> Verdict:
    """Wait on one step until the policy passes it or calls for a rollback."""
    since, started = clock.wall(), clock.monotonic()
    expected = {deployment: share for deployment, share in step.traffic.items() if share}
    while True:
        clock.sleep(clock.poll_s)
        now = {deployment: share for deployment, share in target.traffic().items() if share}
        if now != expected:
            return Verdict(
                "moved", f"{step.name}: traffic was set to {now} outside the rollout; stopping, leaving it so"
            )
        stats = target.window(since)
        verdict = judge(
            step,
            stats.get(new, WindowStats()),
            stats.get(old, WindowStats()),
            settings,
            clock.monotonic() - started,
        )
        if verdict.outcome != "wait":
            return verdict


def rollback(target: ProgressiveTarget) -> str:
    """All traffic back to the deployment that is not serving, while it still exists; returns its name."""
    serving = target.serving()
    others = [name for name in target.deployment_names() if name != serving]
    if not others:
        raise RolloutError(
            f"nothing to roll back to: deployment {serving or '(none)'} is the only one "
            "(the previous one is removed once its bake period ends)"
        )
    previous = others[0]
    target.set_traffic({previous: 100}, {})
    logger.info("traffic moved back to deployment %s (was %s)", previous, serving)
    return previous
