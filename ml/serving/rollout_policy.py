"""The progressive rollout's plan and verdicts: pure, shared by the local endpoint and Azure.

A plan is the list of traffic settings a new deployment goes through (`plan_steps`): mirrored traffic
first, then each live share of `env.rollout.shift_percents`. At each step `judge` compares the new
deployment with the old one over the same window (`WindowStats`, measured by the router locally and by
Azure Monitor on Azure) and says wait, pass or roll back, naming the numbers behind a rollback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from environments.model import Rollout


@dataclass(frozen=True)
class Step:
    """One traffic setting: live shares (summing to 100) and mirrored shares (copies, answers dropped)."""

    name: str
    traffic: dict[str, int]
    mirror: dict[str, int]
    compare_latency: bool
    """Mirrored copies queue behind live requests, so only live traffic says how fast a deployment is."""


@dataclass(frozen=True)
class WindowStats:
    """What one deployment answered over a window: requests, 5xx (or no answer), p99 latency."""

    requests: int = 0
    errors: int = 0
    p99_ms: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Verdict:
    outcome: Literal["wait", "pass", "rollback", "moved"]
    """`moved`: someone else changed the traffic (a manual rollback); the rollout stops there."""
    reason: str


def plan_steps(settings: Rollout, old: str, new: str) -> list[Step]:
    """Mirror, then every shift; the old deployment keeps the rest of the live traffic."""
    steps = [
        Step(f"mirror {settings.mirror_percent}%", {old: 100, new: 0}, {new: settings.mirror_percent}, False)
    ]
    for share in settings.shift_percents:
        steps.append(Step(f"shift {share}%", {old: 100 - share, new: share}, {}, True))
    return steps


def judge(step: Step, new: WindowStats, old: WindowStats, settings: Rollout, elapsed_s: float) -> Verdict:
    """Roll back on a regression as soon as `min_requests` show it; pass once the bake time is over."""
    if new.requests >= settings.min_requests:
        regression = _regression(step, new, old, settings)
        if regression:
            return Verdict("rollback", f"{step.name}: {regression}")
        if elapsed_s >= settings.step_bake_s:
            return Verdict("pass", f"{step.name}: {_summary(new, old)}")
    elif elapsed_s >= settings.step_bake_s and new.requests + old.requests == 0:
        # An idle endpoint: no traffic to compare on, and none at risk; the smoke test is the check.
        return Verdict("pass", f"{step.name}: idle endpoint, nothing to compare ({_summary(new, old)})")
    if elapsed_s >= settings.step_timeout_s:
        return Verdict(
            "rollback",
            f"{step.name}: only {new.requests} requests reached the new deployment in "
            f"{settings.step_timeout_s} s, {settings.min_requests} needed to compare it",
        )
    return Verdict("wait", f"{step.name}: {_summary(new, old)}")


def _regression(step: Step, new: WindowStats, old: WindowStats, settings: Rollout) -> str | None:
    if new.error_rate - old.error_rate > settings.max_error_rate_increase:
        return (
            f"error rate {new.error_rate:.1%} ({new.errors}/{new.requests}) against the old deployment's "
            f"{old.error_rate:.1%} ({old.errors}/{old.requests}), more than "
            f"{settings.max_error_rate_increase:.1%} higher"
        )
    if step.compare_latency and new.p99_ms is not None and old.p99_ms:
        ratio = new.p99_ms / old.p99_ms
        slower_ms = new.p99_ms - old.p99_ms
        if ratio > settings.max_latency_ratio and slower_ms > settings.latency_tolerance_ms:
            return (
                f"p99 latency {new.p99_ms:.0f} ms against the old deployment's {old.p99_ms:.0f} ms "
                f"({ratio:.1f}x, more than {settings.max_latency_ratio}x)"
            )
    return None


def _summary(new: WindowStats, old: WindowStats) -> str:
    def one(stats: WindowStats) -> str:
        latency = "-" if stats.p99_ms is None else f"{stats.p99_ms:.0f} ms"
        return f"{stats.requests} requests, {stats.error_rate:.1%} errors, p99 {latency}"

    return f"new {one(new)}; old {one(old)}"


def window_stats(kinds: dict[str, dict[str, Any]]) -> WindowStats:
    """One deployment's live and mirrored counts (the router's `/-/metrics`) as one window: latency
    from live requests when there were any."""
    live, mirrored = kinds.get("live", {}), kinds.get("mirrored", {})
    return WindowStats(
        requests=live.get("requests", 0) + mirrored.get("requests", 0),
        errors=live.get("errors", 0) + mirrored.get("errors", 0),
        p99_ms=live.get("p99_ms") if live else mirrored.get("p99_ms"),
    )


def p99(latencies_ms: list[float]) -> float | None:
    """The 99th percentile (nearest rank) of a window's latencies."""
    if not latencies_ms:
        return None
    ordered = sorted(latencies_ms)
    rank = max(1, -(-99 * len(ordered) // 100))  # ceil(0.99 n)
    return ordered[rank - 1]
