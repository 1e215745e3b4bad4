"""Safe rollout, the same steps locally and on Azure (pure flow over a `DeploymentTarget`).

1. create the new deployment (blue/green, whichever is not serving) at 0% traffic;
2. smoke-test it directly with a Stream Analytics-shaped batch holding one bad row;
3. on success shift all traffic to it, then remove the old one;
   on failure remove the new one: the old deployment never stopped serving.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from ml.serving.errors import RolloutError, ServingError
from ml.serving.manifests import ModelRef
from ml.serving.smoke import SmokeBatch, check_smoke

logger = logging.getLogger("ml.serving.rollout")

DEPLOYMENT_NAMES = ("blue", "green")


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


@dataclass(frozen=True)
class RolloutResult:
    deployment: str
    previous: str | None
    model: ModelRef


def next_deployment(serving: str | None) -> str:
    """The name the new deployment gets: the one of blue/green that is not serving."""
    return DEPLOYMENT_NAMES[1] if serving == DEPLOYMENT_NAMES[0] else DEPLOYMENT_NAMES[0]


def rollout(target: DeploymentTarget, model: ModelRef, smoke: SmokeBatch) -> RolloutResult:
    """Roll `model` out behind the endpoint; on any failure before the traffic shift, roll back."""
    previous = target.serving()
    name = next_deployment(previous)
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
        if previous:
            logger.error("deployment %s keeps serving", previous)
        raise
    logger.info("smoke test passed (%d rows); shifting traffic to %s", smoke.size, name)
    target.shift(name)
    if previous:
        logger.info("removing the previous deployment %s", previous)
        target.delete(previous)
    return RolloutResult(deployment=name, previous=previous, model=model)
