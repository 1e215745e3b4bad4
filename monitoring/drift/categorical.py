"""Drift metrics of one categorical (or boolean) feature, computed from bucket counts.

Buckets are the known categories (the schema's closed list, or the reference's distinct values when no
schema is given; ``false``/``true`` for booleans) plus one **unseen** bucket that collects every non-null
value outside them, in either sample. A category the baseline never saw therefore has a reference count
of zero. Buckets empty in both samples are dropped; then Jensen-Shannon handles a zero as is, PSI adds
+1 to every bucket, and the chi-squared test of homogeneity is defined (see ``distances``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitoring.drift import distances

UNSEEN = "<unseen>"
"""Name of the bucket for values outside the known categories."""


@dataclass(frozen=True)
class CategoricalDrift:
    """Every categorical metric of one feature."""

    jensen_shannon_distance: float
    population_stability_index: float
    chi_squared_statistic: float
    chi_squared_pvalue: float
    unseen_in_reference: int
    """Buckets that hold current values but no reference value."""


def categorical_drift(reference_counts: np.ndarray, current_counts: np.ndarray) -> CategoricalDrift:
    """All categorical drift metrics from the counts of both samples over the same buckets."""
    if reference_counts.shape != current_counts.shape:
        raise ValueError(
            f"bucket counts differ in length: {reference_counts.shape} vs {current_counts.shape}"
        )
    # Buckets empty in both samples carry no information (and would shift the smoothed PSI).
    present = (reference_counts + current_counts) > 0
    reference_counts, current_counts = reference_counts[present], current_counts[present]
    statistic, pvalue = distances.chi_squared_homogeneity(reference_counts, current_counts)
    return CategoricalDrift(
        jensen_shannon_distance=distances.jensen_shannon_distance(reference_counts, current_counts),
        population_stability_index=distances.population_stability_index(reference_counts, current_counts),
        chi_squared_statistic=statistic,
        chi_squared_pvalue=pvalue,
        unseen_in_reference=int(np.sum((reference_counts == 0) & (current_counts > 0))),
    )
