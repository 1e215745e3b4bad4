"""Holdout metrics of a fraud model and which direction is better for each."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

HIGHER_IS_BETTER = {"roc_auc": True, "average_precision": True, "log_loss": False}


def compute(y_true: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """roc_auc, average_precision and log_loss of fraud probabilities against 0/1 labels."""
    if len(np.unique(y_true)) < 2:
        raise ValueError("the holdout needs both classes to measure a model; use more rows")
    return {
        "roc_auc": float(roc_auc_score(y_true, scores)),
        "average_precision": float(average_precision_score(y_true, scores)),
        "log_loss": float(log_loss(y_true, np.clip(scores, 1e-7, 1 - 1e-7), labels=[0, 1])),
    }


def improvement(metric: str, challenger: float, champion: float) -> float:
    """How much better the challenger is (positive = better), whatever the metric's direction."""
    return challenger - champion if HIGHER_IS_BETTER[metric] else champion - challenger
