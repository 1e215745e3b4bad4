"""The result records of a drift run and the thresholds that judge them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

Kind = Literal["numeric", "categorical", "prediction", "data_quality"]

DEFAULT_THRESHOLDS: dict[str, float] = {
    "normalized_wasserstein_distance": 0.1,
    "jensen_shannon_distance": 0.1,
    "population_stability_index": 0.2,
    "two_sample_kolmogorov_smirnov_test": 0.01,
    "pearsons_chi_squared_test": 0.01,
    "data_quality_allowance": 0.02,
}
"""Azure ML model monitoring defaults (the same values as `environments/base.yml` monitoring.drift)."""

PVALUE_METRICS = frozenset({"two_sample_kolmogorov_smirnov_test", "pearsons_chi_squared_test"})
"""Metrics whose value is a p-value: drift when the value is *below* the threshold."""


@dataclass(frozen=True)
class DriftRecord:
    """One metric of one feature: the unit written to JSON and sent as a custom metric."""

    feature: str
    metric: str
    value: float
    threshold: float | None
    drifted: bool | None
    kind: Kind
    statistic: float | None = None
    """The test statistic for the p-value metrics (KS D, chi-squared)."""

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def judged(
    feature: str, metric: str, value: float, kind: Kind, thresholds: dict[str, float], **extra: float
) -> DriftRecord:
    """A record with its threshold and drift verdict (p-values drift below, distances above)."""
    threshold = thresholds[metric]
    if math.isnan(value):
        drifted = None
    elif metric in PVALUE_METRICS:
        drifted = value < threshold
    else:
        drifted = value > threshold
    return DriftRecord(feature, metric, float(value), threshold, drifted, kind, **extra)
