"""The champion/challenger gate: register a new model only when it beats production by a margin.

The primary metric decides, and every other holdout metric is a guardrail: a challenger that is worse
than the champion on any of them by more than `GUARDRAIL_TOLERANCE` is refused, however good its primary
metric. ROC AUC only ranks: a model trained on partly random labels ranks almost as well as a sound one
(its probabilities are squeezed towards the noise rate), so it can tie or even edge out the champion on
ROC AUC while its log loss and average precision are far worse.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ml.training.metrics import improvement

GUARDRAIL_TOLERANCE = 0.02
"""How much worse (in the metric's own units) a challenger may be on a non-primary holdout metric."""


@dataclass(frozen=True)
class Decision:
    """The gate's verdict, written to `evaluation.json` and read by the register step."""

    register: bool
    reason: str
    primary_metric: str
    margin: float
    challenger: dict[str, float]
    champion: dict[str, float] | None
    champion_version: str | None
    improvement: float | None
    regressions: dict[str, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def regressions(
    challenger: dict[str, float], champion: dict[str, float], primary_metric: str, tolerance: float
) -> dict[str, float]:
    """Non-primary metrics on which the challenger is worse than the champion by more than `tolerance`."""
    found = {}
    for metric in sorted(set(challenger) & set(champion) - {primary_metric}):
        loss = -improvement(metric, challenger[metric], champion[metric])
        if loss > tolerance:
            found[metric] = loss
    return found


def decide(
    challenger: dict[str, float],
    champion: dict[str, float] | None,
    primary_metric: str,
    margin: float,
    champion_version: str | None = None,
    tolerance: float = GUARDRAIL_TOLERANCE,
) -> Decision:
    """Register on the first run; afterwards only if the challenger is better by at least `margin` on the
    primary metric and not worse by more than `tolerance` on any other metric."""
    if champion is None:
        return Decision(True, "no production model yet", primary_metric, margin, challenger, None, None, None)
    gain = improvement(primary_metric, challenger[primary_metric], champion[primary_metric])
    better = gain > 0 and gain >= margin
    verb = "beats" if better else "does not beat"
    reason = (
        f"challenger {primary_metric}={challenger[primary_metric]:.4f} {verb} champion v{champion_version} "
        f"{primary_metric}={champion[primary_metric]:.4f} by the margin {margin} (improvement {gain:+.4f})"
    )
    worse = regressions(challenger, champion, primary_metric, tolerance)
    if worse:
        details = ", ".join(
            f"{m}={challenger[m]:.4f} vs {champion[m]:.4f} ({loss:.4f} worse)" for m, loss in worse.items()
        )
        reason += (
            f"; refused: worse than the champion beyond the guardrail tolerance {tolerance} on {details}"
        )
    register = better and not worse
    return Decision(
        register, reason, primary_metric, margin, challenger, champion, champion_version, gain, worse
    )
