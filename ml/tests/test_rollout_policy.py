"""The progressive rollout's plan, verdicts and routing rules as pure logic."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from environments.model import Rollout
from ml.serving.errors import ManifestError
from ml.serving.rollout_policy import WindowStats, judge, p99, plan_steps, window_stats
from ml.serving.routes import RoutedDeployment, Routes


@pytest.fixture(scope="module")
def settings(local_environment) -> Rollout:
    return local_environment.rollout


def test_plan_mirrors_first_then_shifts_to_100(settings):
    steps = plan_steps(settings, "blue", "green")
    assert steps[0].traffic == {"blue": 100, "green": 0}
    assert steps[0].mirror == {"green": settings.mirror_percent} and not steps[0].compare_latency
    assert [s.traffic["green"] for s in steps[1:]] == settings.shift_percents
    assert all(s.traffic["blue"] + s.traffic["green"] == 100 and not s.mirror for s in steps[1:])


def test_errors_on_the_new_deployment_roll_back_naming_the_numbers(settings):
    mirror = plan_steps(settings, "blue", "green")[0]
    new = WindowStats(requests=settings.min_requests, errors=2, p99_ms=10.0)
    verdict = judge(mirror, new, WindowStats(200, 0, 10.0), settings, elapsed_s=0.5)
    assert verdict.outcome == "rollback"
    assert "mirror" in verdict.reason and "error rate" in verdict.reason and "2/" in verdict.reason


def test_latency_counts_on_shift_steps_only_and_beyond_noise(settings):
    mirror, first_shift = plan_steps(settings, "blue", "green")[:2]
    slow, old = WindowStats(settings.min_requests, 0, 50.0), WindowStats(400, 0, 20.0)
    assert judge(mirror, slow, old, settings, settings.step_bake_s).outcome == "pass"
    verdict = judge(first_shift, slow, old, settings, settings.step_bake_s)
    assert verdict.outcome == "rollback" and "p99 latency 50 ms" in verdict.reason
    slightly = WindowStats(settings.min_requests, 0, 20.0 + settings.latency_tolerance_ms - 1)
    assert judge(first_shift, slightly, WindowStats(400, 0, 20.0), settings, 1e9).outcome == "pass"


def test_a_step_waits_for_bake_time_and_requests_then_times_out(settings):
    step = plan_steps(settings, "blue", "green")[1]
    good = WindowStats(settings.min_requests, 0, 20.0)
    assert judge(step, good, good, settings, settings.step_bake_s - 0.1).outcome == "wait"
    few = WindowStats(settings.min_requests - 1, 0, 20.0)
    assert judge(step, few, good, settings, settings.step_bake_s).outcome == "wait"
    verdict = judge(step, few, good, settings, settings.step_timeout_s)
    assert verdict.outcome == "rollback" and f"{settings.min_requests} needed" in verdict.reason


def test_a_step_on_an_idle_endpoint_passes_after_the_bake_time(settings):
    step = plan_steps(settings, "blue", "green")[0]
    idle = WindowStats(0, 0, None)
    assert judge(step, idle, idle, settings, settings.step_bake_s - 0.1).outcome == "wait"
    verdict = judge(step, idle, idle, settings, settings.step_bake_s)
    assert verdict.outcome == "pass" and "idle" in verdict.reason
    assert judge(step, idle, WindowStats(1, 0, 20.0), settings, settings.step_bake_s).outcome == "wait"


def test_window_stats_take_latency_from_live_requests():
    stats = window_stats(
        {
            "live": {"requests": 10, "errors": 1, "p99_ms": 30.0},
            "mirrored": {"requests": 5, "errors": 1, "p99_ms": 90.0},
        }
    )
    assert stats == WindowStats(15, 2, 30.0)
    assert window_stats({"mirrored": {"requests": 5, "errors": 0, "p99_ms": 90.0}}).p99_ms == 90.0
    assert p99([float(v) for v in range(1, 101)]) == 99.0 and p99([]) is None


@pytest.mark.parametrize(
    "override",
    [{"shift_percents": [50, 10, 100]}, {"shift_percents": [10, 50]}, {"mirror_percent": 60}],
)
def test_rollout_settings_refuse_impossible_plans(settings, override):
    with pytest.raises(ValidationError):
        Rollout(**{**settings.model_dump(), **override})


def test_routes_mirror_only_to_a_deployment_without_live_traffic():
    routes = Routes(
        0,
        {n: RoutedDeployment(1, 1, "m", "1") for n in ("blue", "green")},
        {"blue": 100, "green": 0},
    )
    mirrored = routes.with_traffic({"blue": 100}, {"green": 50})
    assert mirrored.mirror_to("blue", draw=0.49) == "green" and mirrored.mirror_to("blue", draw=0.5) is None
    assert mirrored.with_traffic({"blue": 100}).mirror == {}
    with pytest.raises(ManifestError, match="mirror green"):
        routes.with_traffic({"blue": 90, "green": 10}, {"green": 20})
