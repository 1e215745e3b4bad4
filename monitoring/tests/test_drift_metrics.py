"""Drift metric values against scipy's reference implementations (to 1e-9)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats
from scipy.spatial import distance

from environments.data_schema import Feature
from monitoring.drift import compute_drift
from monitoring.drift.binning import bin_edges, sturges_bins
from monitoring.drift.categorical import categorical_drift
from monitoring.drift.columns import numeric_values
from monitoring.drift.kstest import ks_pvalue
from monitoring.drift.numeric import (
    NumericDrift,
    _as_whole_numbers,
    _repeats_a_lot,
    numeric_drift,
    sample_from_values,
)

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def rng() -> np.random.Generator:
    return np.random.default_rng(20261129)


def assert_numeric_drift_matches_scipy(
    reference: np.ndarray, current: np.ndarray, integral: bool
) -> NumericDrift:
    """Every numeric metric of the two samples against scipy (and numpy's histogram), to TOLERANCE."""
    drift = numeric_drift(sample_from_values(reference, integral), sample_from_values(current, integral))

    wasserstein = stats.wasserstein_distance(reference, current)
    assert drift.wasserstein_distance == pytest.approx(wasserstein, abs=TOLERANCE)
    normalized = wasserstein / max(np.std(reference, ddof=1), 0.001)
    assert drift.normalized_wasserstein_distance == pytest.approx(normalized, abs=TOLERANCE)
    ks = stats.ks_2samp(reference, current, method="asymp")
    assert drift.ks_statistic == pytest.approx(ks.statistic, abs=TOLERANCE)
    assert drift.ks_pvalue == pytest.approx(ks.pvalue, abs=TOLERANCE)
    assert drift.ks_pvalue == pytest.approx(stats.ks_2samp(reference, current).pvalue, abs=TOLERANCE)

    bins = sturges_bins(len(reference), len(current))
    edges = bin_edges(min(reference.min(), current.min()), max(reference.max(), current.max()), bins)
    ref_hist, _ = np.histogram(reference, edges)
    cur_hist, _ = np.histogram(current, edges)
    assert drift.bins == bins
    js = distance.jensenshannon(ref_hist / ref_hist.sum(), cur_hist / cur_hist.sum(), base=2)
    assert drift.jensen_shannon_distance == pytest.approx(js, abs=TOLERANCE)
    p, q = (ref_hist + 1) / len(reference), (cur_hist + 1) / len(current)
    assert drift.population_stability_index == pytest.approx(np.sum((q - p) * np.log(q / p)), abs=TOLERANCE)
    return drift


@pytest.mark.parametrize(("shift", "integral"), [(0.0, False), (0.3, False), (0.0, True), (2.0, True)])
def test_numeric_metrics_match_scipy(rng: np.random.Generator, shift: float, integral: bool) -> None:
    if integral:
        reference = rng.poisson(20, 20_000)
        current = rng.poisson(20 + shift, 15_000)
    else:
        reference = rng.lognormal(3.0, 1.0, 20_000)
        current = rng.lognormal(3.0 + shift, 1.0, 15_000)
    drift = assert_numeric_drift_matches_scipy(reference, current, integral)
    assert drift.bins == 15
    assert (drift.normalized_wasserstein_distance > 0.1) == (shift > 0)


def repeated_floats(rng: np.random.Generator, kind: str, median: float, rows: int) -> np.ndarray:
    """Floats that repeat a lot: amounts in cents, a function of them, or cents with one finer value late."""
    cents = np.round(rng.lognormal(np.log(median), 1.0, rows) - 0.5, 2)
    cents[:500], cents[500:700] = -0.0, 0.0  # equal, but -0.0 hashes apart from 0.0
    if kind == "score":
        return 1.0 / (1.0 + np.exp(-cents / 20.0))
    if kind == "cents_then_finer":
        cents[-1] = 0.125  # after the first sixteenth, which looked like cents
    return cents


@pytest.mark.parametrize("kind", ["cents", "score", "cents_then_finer"])
@pytest.mark.parametrize("shift", [0.0, 0.3])
def test_numeric_metrics_match_scipy_on_repeated_floats(
    rng: np.random.Generator, kind: str, shift: float
) -> None:
    # Samples that repeat a lot are counted, not sorted: decimals as whole numbers of cents with bincount,
    # other floats by hashing (once a probe of the first sixteenth shows the repeats).
    reference = repeated_floats(rng, kind, 20.0, 200_000)
    current = repeated_floats(rng, kind, 20.0 * np.exp(shift), 150_000)
    assert (_as_whole_numbers(reference)[1] is not None) == (kind == "cents")
    assert _repeats_a_lot(reference) and _repeats_a_lot(current)
    drift = assert_numeric_drift_matches_scipy(reference, current, integral=False)
    assert (drift.normalized_wasserstein_distance > 0.1) == (shift > 0)
    sample = sample_from_values(reference)
    assert np.all(np.diff(sample.support) > 0)  # distinct: 0.0 and -0.0 are one value
    assert sample.counts.sum() == reference.size


@pytest.mark.parametrize("statistic", [0.0015, 0.003, 0.0045, 0.01, 0.02, 0.05])
def test_ks_pvalue_matches_scipy_at_a_million_rows(statistic: float) -> None:
    # 1M vs 1M rows is where the p-value takes the summed Smirnov series instead of scipy's slow path.
    assert ks_pvalue(statistic, 1_000_000, 1_000_000) == pytest.approx(
        stats.kstwo.sf(statistic, 500_000), abs=TOLERANCE
    )


def test_categorical_metrics_match_scipy_with_an_unseen_category() -> None:
    # Buckets: 4 known categories (the last never seen in either sample) + the unseen bucket.
    reference = np.array([500, 300, 200, 0, 0])
    current = np.array([300, 300, 200, 0, 200])
    drift = categorical_drift(reference, current)
    kept_ref, kept_cur = reference[[0, 1, 2, 4]], current[[0, 1, 2, 4]]

    js = distance.jensenshannon(kept_ref / kept_ref.sum(), kept_cur / kept_cur.sum(), base=2)
    assert drift.jensen_shannon_distance == pytest.approx(js, abs=TOLERANCE)
    chi2, pvalue, _, _ = stats.chi2_contingency(np.vstack([kept_ref, kept_cur]), correction=False)
    assert drift.chi_squared_statistic == pytest.approx(chi2, abs=TOLERANCE)
    assert drift.chi_squared_pvalue == pytest.approx(pvalue, abs=TOLERANCE)
    p, q = (kept_ref + 1) / kept_ref.sum(), (kept_cur + 1) / kept_cur.sum()
    assert drift.population_stability_index == pytest.approx(np.sum((q - p) * np.log(q / p)), abs=TOLERANCE)
    assert drift.unseen_in_reference == 1


def test_compute_drift_infers_types_and_counts_quality_without_schema() -> None:
    reference = pa.table({"x": [1.0, 2.0, 3.0, 4.0] * 50, "c": ["a", "b"] * 100, "flag": [True, False] * 100})
    current = pa.table({"x": [1.0, None, 3.0, 40.0] * 50, "c": ["a", "z"] * 100, "flag": [True, None] * 100})
    records = {(r.feature, r.metric): r for r in compute_drift(reference, current)}
    assert records["x", "null_value_rate"].value == pytest.approx(0.25)
    assert records["x", "null_value_rate"].drifted is True
    assert records["x", "normalized_wasserstein_distance"].drifted is True
    assert records["c", "out_of_bounds_rate"].value == pytest.approx(0.5)
    assert records["c", "jensen_shannon_distance"].drifted is True
    assert records["flag", "jensen_shannon_distance"].value == pytest.approx(
        distance.jensenshannon([0.5, 0.5], [1.0, 0.0], base=2), abs=TOLERANCE
    )


@pytest.mark.parametrize(
    ("values", "out_of_bounds"),
    [([5.0, 50.0, 100.0, 0.0], 0), ([-0.5, 50.0, 100.5, 0.0], 2), ([5.0, 250.0, 100.0, 1.0], 1)],
)
def test_numeric_values_count_out_of_bounds_only_outside_the_schema_range(
    values: list[float], out_of_bounds: int
) -> None:
    feature = Feature(name="amount", type="float", min=0.0, max=100.0)
    column = pa.chunked_array([pa.array([*values, None, float("nan")], type=pa.float64())])
    finite, integral, quality = numeric_values(column, feature)
    assert finite.tolist() == values and not integral
    assert (quality.rows, quality.nulls, quality.type_errors, quality.out_of_bounds) == (
        6,
        2,
        0,
        out_of_bounds,
    )
