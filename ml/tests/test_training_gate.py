"""The champion/challenger gate decides on the primary metric, in the metric's direction, with the margin."""

from __future__ import annotations

import numpy as np
import pytest

from ml.training import gate, metrics


def test_first_run_always_registers() -> None:
    decision = gate.decide({"roc_auc": 0.51}, None, "roc_auc", 0.01)
    assert decision.register
    assert decision.reason == "no production model yet"


@pytest.mark.parametrize(
    ("challenger", "champion", "margin", "register"),
    [
        (0.850, 0.840, 0.005, True),
        (0.843, 0.840, 0.005, False),  # better, but not by the margin
        (0.840, 0.840, 0.0, False),  # a tie never replaces the champion
        (0.830, 0.840, 0.0, False),
    ],
)
def test_higher_is_better_metrics(challenger: float, champion: float, margin: float, register: bool) -> None:
    decision = gate.decide({"roc_auc": challenger}, {"roc_auc": champion}, "roc_auc", margin, "4")
    assert decision.register is register
    assert decision.improvement == pytest.approx(challenger - champion)
    assert "champion v4" in decision.reason


def test_log_loss_is_better_when_lower() -> None:
    assert gate.decide({"log_loss": 0.10}, {"log_loss": 0.20}, "log_loss", 0.05, "1").register
    assert not gate.decide({"log_loss": 0.20}, {"log_loss": 0.10}, "log_loss", 0.0, "1").register


def test_metrics_need_both_classes() -> None:
    with pytest.raises(ValueError, match="both classes"):
        metrics.compute(np.zeros(10), np.linspace(0, 1, 10))
    measured = metrics.compute(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))
    assert measured["roc_auc"] == 1.0


def test_a_challenger_worse_on_a_guardrail_metric_is_refused_despite_its_primary_metric() -> None:
    champion = {"roc_auc": 0.845, "average_precision": 0.293, "log_loss": 0.146}
    challenger = {"roc_auc": 0.849, "average_precision": 0.258, "log_loss": 0.353}  # half-random labels
    decision = gate.decide(challenger, champion, "roc_auc", 0.002, "1")
    assert not decision.register
    assert decision.improvement == pytest.approx(0.004)
    assert set(decision.regressions) == {"average_precision", "log_loss"}
    assert decision.regressions["log_loss"] == pytest.approx(0.207)
    assert "refused: worse than the champion beyond the guardrail tolerance" in decision.reason
    assert "log_loss=0.3530 vs 0.1460" in decision.reason


def test_small_differences_on_guardrail_metrics_are_tolerated() -> None:
    champion = {"roc_auc": 0.840, "average_precision": 0.30, "log_loss": 0.150}
    challenger = {"roc_auc": 0.850, "average_precision": 0.29, "log_loss": 0.155}
    decision = gate.decide(challenger, champion, "roc_auc", 0.002, "1", tolerance=gate.GUARDRAIL_TOLERANCE)
    assert decision.register
    assert decision.regressions == {}
