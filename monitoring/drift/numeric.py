"""Drift metrics of one numeric feature, computed from ascending samples.

A sample is held as its distinct ascending values with their counts (``NumericSample``). Integer and
count columns get there with ``numpy.bincount`` over their range (no sort), and so do float columns of
decimals (money in cents, rounded distances: every value is exactly ``k / 10**d`` for ``d <= 3``, counted
as the whole numbers ``k``). Other float columns are sorted once, or, when values repeat a lot (a score of
such inputs), their distinct values are counted in a hash table (Arrow's ``value_counts``) and only those
sorted. A probe of the first sixteenth of the rows picks the way; every way gives the same values and
counts, only the time differs.
Both samples are then merged once (a stable sort of two ascending runs, which is linear), and every
metric reads the two empirical CDFs along that merge:

- **normalized Wasserstein distance** (Azure ML model monitoring): the first Wasserstein distance
  ``W1 = ∫ |F_ref(x) - F_cur(x)| dx`` (``scipy.stats.wasserstein_distance``) divided by
  ``max(std(ref, ddof=1), 0.001)``, the baseline's sample standard deviation with a floor, so the value
  is in baseline standard deviations. Drift when ``value > threshold`` (default 0.1).
- **two-sample Kolmogorov-Smirnov test**: ``D = max |F_ref - F_cur|`` and the two-sided p-value from
  Smirnov's distribution ``kstwo.sf(D, round(n*m/(n+m)))`` — ``scipy.stats.ks_2samp`` with
  ``method="asymp"`` (also its ``"auto"`` choice above 10 000 rows); see ``kstest``. The metric value is the p-value;
  drift when ``p < threshold``.
- **Jensen-Shannon distance** and **PSI** over the histogram of ``binning`` (equal-width Sturges bins on
  the joint range), see ``distances``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitoring.drift import distances
from monitoring.drift.binning import bin_edges, counts_from_support, sturges_bins
from monitoring.drift.kstest import ks_pvalue

STD_FLOOR = 0.001
"""Floor of the baseline standard deviation that normalises the Wasserstein distance (as Azure ML)."""

DENSE_RANGE_LIMIT = 1 << 22
"""Integer columns (and decimals, times their power of ten) whose value range is at most this wide are
counted with bincount instead of sorted."""

DECIMAL_SCALES = (1.0, 10.0, 100.0, 1000.0)
"""Float columns whose values all have at most this many decimals (money in cents, rounded distances) are
counted as whole numbers of the smallest such unit."""

HASH_PROBE_MIN_ROWS = 1 << 16
"""Float samples smaller than this are sorted (hashing them would save next to nothing)."""

HASH_DISTINCT_SHARE = 0.75
"""Hash a float sample when at most this share of its first sixteenth is distinct values. Hashing costs
about one sort of the whole sample when about a fifth of it is distinct; a sixteenth of a sample with that
many distinct values (spread evenly) is about 0.79 distinct."""


@dataclass(frozen=True)
class NumericSample:
    """Distinct ascending values of a sample with their counts, its size and sample standard deviation."""

    support: np.ndarray
    counts: np.ndarray
    n: int
    std: float

    @property
    def lo(self) -> float:
        return float(self.support[0])

    @property
    def hi(self) -> float:
        return float(self.support[-1])


def sample_from_values(values: np.ndarray, integral: bool = False) -> NumericSample:
    """Summarise non-null finite values; ``integral`` allows counting instead of sorting."""
    values = np.asarray(values)
    n = int(values.size)
    if n == 0:
        raise ValueError("a numeric sample needs at least one value")
    scale, whole = (1.0, values) if integral else _as_whole_numbers(values)
    if whole is not None:
        lo, hi = int(whole.min()), int(whole.max())
        if hi - lo <= DENSE_RANGE_LIMIT:
            dense = np.bincount((whole - lo).astype(np.int64, copy=False), minlength=hi - lo + 1)
            present = np.flatnonzero(dense)
            return _sample((present + lo) / scale, dense[present], n)
    return _sample(*_distinct_ascending(values.astype(np.float64, copy=False)), n)


def _as_whole_numbers(values: np.ndarray) -> tuple[float, np.ndarray | None]:
    """For floats with at most three decimals, the power of ten that makes every value whole, and the whole
    numbers (``whole / scale == values`` exactly, so the counted values are the values themselves)."""
    if values.dtype.kind != "f" or values.size == 0:
        return 1.0, None
    probe = values[: max(values.size // 16, 1)]
    for scale in DECIMAL_SCALES:
        if np.array_equal(np.rint(probe * scale) / scale, probe):
            whole = np.rint(values * scale)
            return (scale, whole) if np.array_equal(whole / scale, values) else (1.0, None)
    return 1.0, None


def _repeats_a_lot(values: np.ndarray) -> bool:
    """Whether the first sixteenth of a large sample holds few enough distinct values to hash the sample."""
    if values.size < HASH_PROBE_MIN_ROWS:
        return False
    probe = values[: values.size // 16]
    return len(pc.value_counts(pa.array(probe))) <= HASH_DISTINCT_SHARE * probe.size


def _distinct_ascending(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ascending values of a float64 sample and how often each occurs."""
    if _repeats_a_lot(values):
        found = pc.value_counts(pa.array(values))
        distinct, weights = found.field("values").to_numpy(), found.field("counts").to_numpy()
        order = np.argsort(distinct)
        ordered, weights = distinct[order], weights[order]
    else:
        ordered, weights = np.sort(values), None
    # 0.0 and -0.0 are equal but hash apart: group equal neighbours in either case.
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    if weights is None:
        return ordered[starts], np.diff(np.append(starts, ordered.size))
    return ordered[starts], np.add.reduceat(weights, starts)


def _sample(support: np.ndarray, counts: np.ndarray, n: int) -> NumericSample:
    """The sample with its standard deviation (ddof=1), computed from the distinct values and counts."""
    std = 0.0
    if n > 1:
        mean = float(np.sum(support * counts)) / n
        std = float(np.sqrt(np.sum(counts * (support - mean) ** 2) / (n - 1)))
    return NumericSample(support=support, counts=counts, n=n, std=std)


@dataclass(frozen=True)
class NumericDrift:
    """Every numeric metric of one feature."""

    normalized_wasserstein_distance: float
    wasserstein_distance: float
    jensen_shannon_distance: float
    population_stability_index: float
    ks_statistic: float
    ks_pvalue: float
    bins: int


def _merged_cdfs(
    reference: NumericSample, current: NumericSample
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both empirical CDFs along the merged support (values ascending, ties kept)."""
    values = np.concatenate((reference.support, current.support))
    order = np.argsort(values, kind="stable")  # two ascending runs: a linear merge
    merged = values[order]
    size = len(reference.support)
    from_reference = order < size
    ref_weights = np.zeros(len(values), dtype=np.int64)
    cur_weights = np.zeros(len(values), dtype=np.int64)
    ref_weights[from_reference] = reference.counts[order[from_reference]]
    cur_weights[~from_reference] = current.counts[order[~from_reference] - size]
    return merged, np.cumsum(ref_weights) / reference.n, np.cumsum(cur_weights) / current.n


def wasserstein_and_ks(reference: NumericSample, current: NumericSample) -> tuple[float, float, float]:
    """First Wasserstein distance, KS statistic and asymptotic two-sided KS p-value."""
    merged, ref_cdf, cur_cdf = _merged_cdfs(reference, current)
    gaps = np.abs(ref_cdf - cur_cdf)
    wasserstein = float(np.sum(gaps[:-1] * np.diff(merged)))
    # The CDFs are right-continuous: read them at the last copy of each value.
    last_of_value = np.append(merged[1:] != merged[:-1], True)
    statistic = float(np.max(gaps[last_of_value]))
    return wasserstein, statistic, ks_pvalue(statistic, reference.n, current.n)


def numeric_drift(reference: NumericSample, current: NumericSample) -> NumericDrift:
    """All numeric drift metrics of one feature, current against reference."""
    wasserstein, statistic, pvalue = wasserstein_and_ks(reference, current)
    bins = sturges_bins(reference.n, current.n)
    edges = bin_edges(min(reference.lo, current.lo), max(reference.hi, current.hi), bins)
    ref_hist = counts_from_support(reference.support, reference.counts, edges)
    cur_hist = counts_from_support(current.support, current.counts, edges)
    return NumericDrift(
        normalized_wasserstein_distance=wasserstein / max(reference.std, STD_FLOOR),
        wasserstein_distance=wasserstein,
        jensen_shannon_distance=distances.jensen_shannon_distance(ref_hist, cur_hist),
        population_stability_index=distances.population_stability_index(ref_hist, cur_hist),
        ks_statistic=statistic,
        ks_pvalue=pvalue,
        bins=len(edges) - 1,
    )
