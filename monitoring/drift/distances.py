"""Distances between two count vectors over the same buckets (histogram bins or categories).

- **Jensen-Shannon distance**: ``scipy.spatial.distance.jensenshannon(p, q, base=2)`` on the normalised
  counts: the square root of the JS divergence in bits, in ``[0, 1]``. Empty buckets are fine.
- **PSI** (population stability index), as Azure ML model monitoring computes it: every bucket count gets
  +1 so that no bucket is empty (an unseen category or an empty bin stays finite), the proportions are
  ``(count + 1) / n`` of each sample, and ``PSI = Σ (q - p) · ln(q / p)``.
- **Pearson's chi-squared test of homogeneity** on the 2 x K table (reference, current) of counts over the
  buckets where either sample has a value: ``scipy.stats.chi2_contingency(table, correction=False)``.
  Azure ML uses a goodness-of-fit test with the baseline as the expected distribution, which is undefined
  (infinite) as soon as the current data holds a category the baseline never saw; the two-sample test
  treats both samples alike and stays defined. The metric value is the p-value; drift when
  ``p < threshold``.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats


def jensen_shannon_distance(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2) between two count vectors."""
    p = reference_counts / reference_counts.sum()
    q = current_counts / current_counts.sum()
    m = (p + q) / 2.0
    divergence = (np.sum(special.rel_entr(p, m)) + np.sum(special.rel_entr(q, m))) / 2.0 / np.log(2.0)
    return float(np.sqrt(max(divergence, 0.0)))


def population_stability_index(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """PSI with +1 smoothing of every bucket (the Azure ML definition)."""
    p = (reference_counts + 1.0) / reference_counts.sum()
    q = (current_counts + 1.0) / current_counts.sum()
    return float(np.sum((q - p) * np.log(q / p)))


def chi_squared_homogeneity(reference_counts: np.ndarray, current_counts: np.ndarray) -> tuple[float, float]:
    """Pearson chi-squared statistic and p-value of the 2 x K table (no continuity correction)."""
    table = np.vstack((reference_counts, current_counts)).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    pvalue = float(stats.chi2.sf(statistic, table.shape[1] - 1))
    return statistic, pvalue
