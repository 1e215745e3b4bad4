"""Histogram binning for the binned numeric metrics (Jensen-Shannon distance, PSI).

Azure ML model monitoring bins a numeric feature into equal-width bins over the joint range of both
samples, with the bin count from Sturges' rule on the smaller sample: ``ceil(log2(min(n_ref, n_cur)) + 1)``.
Bins are half-open ``[e_i, e_i+1)`` except the last, which is closed, exactly as ``numpy.histogram``;
the edges are ``numpy.linspace(lo, hi, bins + 1)``. A constant feature (``lo == hi``) gets one bin.
"""

from __future__ import annotations

import math

import numpy as np


def sturges_bins(n_reference: int, n_current: int) -> int:
    """Number of bins by Sturges' rule on the smaller sample (at least one)."""
    smaller = max(min(n_reference, n_current), 1)
    return max(math.ceil(math.log2(smaller) + 1), 1)


def bin_edges(lo: float, hi: float, bins: int) -> np.ndarray:
    """Equal-width edges over ``[lo, hi]``; one bin ``[lo, lo]`` when the range is empty."""
    if hi <= lo:
        return np.array([lo, lo], dtype=np.float64)
    return np.linspace(lo, hi, bins + 1)


def counts_from_support(support: np.ndarray, weights: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin counts of a sample given as distinct ascending values with their counts."""
    cumulative = np.concatenate(([0], np.cumsum(weights)))
    if len(edges) == 2 and edges[0] == edges[1]:
        return np.array([cumulative[-1]], dtype=np.int64)
    left = np.searchsorted(support, edges[:-1], side="left")
    right = np.append(left[1:], np.searchsorted(support, edges[-1], side="right"))
    return (cumulative[right] - cumulative[left]).astype(np.int64)
