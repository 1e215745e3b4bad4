"""The champion/challenger gate: register a new model only when it beats production by a margin."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ml.training.metrics import improvement


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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def decide(
    challenger: dict[str, float],
    champion: dict[str, float] | None,
    primary_metric: str,
    margin: float,
    champion_version: str | None = None,
) -> Decision:
    """Register on the first run; afterwards only if the challenger is better by at least `margin`."""
    if champion is None:
        return Decision(True, "no production model yet", primary_metric, margin, challenger, None, None, None)
    gain = improvement(primary_metric, challenger[primary_metric], champion[primary_metric])
    better = gain > 0 and gain >= margin
    verb = "beats" if better else "does not beat"
    reason = (
        f"challenger {primary_metric}={challenger[primary_metric]:.4f} {verb} champion v{champion_version} "
        f"{primary_metric}={champion[primary_metric]:.4f} by the margin {margin} (improvement {gain:+.4f})"
    )
    return Decision(better, reason, primary_metric, margin, challenger, champion, champion_version, gain)
