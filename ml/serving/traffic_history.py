"""Traffic history: every change of the deployments taking live traffic, written into the inference log.

A mirrored copy of a request is scored and logged by the shadow deployment as well as by the live one,
and on Azure the endpoint makes the copy itself, marking it in no way score.py can see. What tells the
two rows apart is the traffic at that moment: a deployment receives live or mirrored traffic, never
both (Azure ML's rule, https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints
"Test the deployment with mirrored traffic"; `Routes.with_traffic` enforces it locally). So every
target records each change of its live set as a `traffic` event (`environments.inference_log`), and the
export keeps a row only when its deployment was live then (decision 0014).

`traffic_steps` orders one change so that no row is misjudged while it takes effect:
1. a deployment about to take live traffic while it receives mirrored copies first stops receiving
   them, and the copies in flight finish (`Apply(..., drain=True)`);
2. the live set before and after together is recorded, then the change is applied, then the live set
   after: while the change propagates both sides count as live, and by step 1 none of them receives
   mirrored copies then.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ml.serving.errors import TrafficHistoryError
from monitoring.telemetry import Telemetry, configure_telemetry
from monitoring.telemetry.errors import TelemetryDeliveryError

logger = logging.getLogger("ml.serving.traffic_history")

ROLE_NAME = "rollout"
"""Cloud role of the process recording traffic changes (the rollout, `ml serve`)."""


class TrafficLog(Protocol):
    """Where a target records the deployments taking live (and mirrored) traffic from now on; raises
    `TrafficHistoryError` when the record was refused."""

    def record(self, live: frozenset[str], mirror: frozenset[str] = frozenset()) -> None: ...


@dataclass(frozen=True)
class Record:
    live: frozenset[str]
    mirror: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Apply:
    traffic: dict[str, int]
    mirror: dict[str, int]
    drain: bool = False
    """Wait, after applying, until no mirrored copy is in flight."""


def live_of(traffic: Mapping[str, int]) -> frozenset[str]:
    """The deployments taking a live share."""
    return frozenset(name for name, share in traffic.items() if share > 0)


def traffic_steps(
    traffic_now: Mapping[str, int],
    mirror_now: Mapping[str, int],
    traffic: dict[str, int],
    mirror: dict[str, int],
) -> list[Record | Apply]:
    """What to do, in order, to go from the current traffic and mirror settings to the new ones."""
    before, after = live_of(traffic_now), live_of(traffic)
    mirrored_now, mirrored_after = live_of(mirror_now), live_of(mirror)
    steps: list[Record | Apply] = []
    if (after - before) & mirrored_now:
        steps.append(Apply(dict(traffic_now), {}, drain=True))
        mirrored_now = frozenset()
    steps += [
        Record(before | after, mirrored_now | mirrored_after),
        Apply(traffic, mirror),
        Record(after, mirrored_after),
    ]
    return steps


def refusal_message(error: TelemetryDeliveryError) -> str:
    """What was not recorded, and what to grant when ingestion refused the caller."""
    message = f"traffic history: a traffic event was not recorded ({error})"
    if error.status in (401, 403):
        message += (
            ". The identity running the rollout (on Azure the deploy identity, AZURE_CLIENT_ID) needs the "
            "role Monitoring Metrics Publisher on the environment's Application Insights (docs/identities.md); "
            "without it the export cannot tell mirrored copies from live rows"
        )
    return message


@dataclass
class TelemetryTrafficLog:
    """Records through `monitoring.telemetry` (the process's Application Insights connection string, the
    one the deployments log with); configured on first use."""

    role_name: str = ROLE_NAME
    telemetry: Telemetry | None = None
    connection_string: str | None = None
    """On Azure, the one apply read from the deployed Application Insights (`deployed_setting`); else the
    process's APPLICATIONINSIGHTS_CONNECTION_STRING."""
    credential: Any = None
    """On Azure, the deploy's Entra ID credential: Application Insights refuses its key (local auth off), so
    without one every traffic event would be rejected at ingestion, after this process had moved on, and
    the export would keep mirrored copies. The identity needs Monitoring Metrics Publisher on the
    component (docs/identities.md)."""
    _warned: bool = field(default=False, repr=False)

    def record(self, live: frozenset[str], mirror: frozenset[str] = frozenset()) -> None:
        """Send the change and wait until ingestion accepted it: a refused event would leave the export
        unable to tell mirrored copies from live rows, so the change is not applied then."""
        if self.telemetry is None:
            self.telemetry = configure_telemetry(
                self.role_name, self.connection_string, credential=self.credential
            )
        try:
            recorded = self.telemetry.log_traffic(live, mirror, confirm=True)
        except TelemetryDeliveryError as exc:
            raise TrafficHistoryError(refusal_message(exc)) from exc
        if recorded:
            logger.info(
                "traffic history: live deployments from now on: %s", ", ".join(sorted(live)) or "none"
            )
        elif not self._warned:
            self._warned = True
            logger.warning(
                "traffic history not recorded (telemetry off in this process): if the deployments log "
                "inference rows, mirrored copies among them cannot be told from live rows"
            )
