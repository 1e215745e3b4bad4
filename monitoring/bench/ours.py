"""The project's drift metrics on two Parquet files; prints timing and peak memory as JSON (a bench child)."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import pyarrow as pa

from environments.data_schema import load_data_schema
from monitoring.drift import compute_drift, read_table

AGREEMENT_ROWS = 100_000


def max_difference_from_scipy(reference: pa.Table, current: pa.Table, schema) -> float:
    """Largest |ours - scipy| over the numeric metrics scipy has, on the first rows (after the timing)."""
    import numpy as np
    from scipy import stats
    from scipy.spatial import distance

    from monitoring.drift.binning import bin_edges, sturges_bins
    from monitoring.drift.columns import numeric_values
    from monitoring.drift.numeric import numeric_drift, sample_from_values

    worst = 0.0
    for feature in (f for f in schema.features if f.is_numeric):
        ref, ref_int, _ = numeric_values(reference.column(feature.name).slice(0, AGREEMENT_ROWS), feature)
        cur, cur_int, _ = numeric_values(current.column(feature.name).slice(0, AGREEMENT_ROWS), feature)
        ours = numeric_drift(
            sample_from_values(ref, ref_int and cur_int), sample_from_values(cur, ref_int and cur_int)
        )
        ks = stats.ks_2samp(ref, cur, method="asymp")
        edges = bin_edges(
            min(ref.min(), cur.min()), max(ref.max(), cur.max()), sturges_bins(ref.size, cur.size)
        )
        p, q = np.histogram(ref, edges)[0], np.histogram(cur, edges)[0]
        worst = max(
            worst,
            abs(ours.wasserstein_distance - stats.wasserstein_distance(ref, cur)),
            abs(ours.ks_statistic - ks.statistic),
            abs(ours.ks_pvalue - ks.pvalue),
            abs(ours.jensen_shannon_distance - distance.jensenshannon(p / p.sum(), q / q.sum(), base=2)),
        )
    return float(worst)


def main(reference_path: str, current_path: str, schema_path: str) -> None:
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    schema = load_data_schema(Path(schema_path))
    started = time.perf_counter()
    reference = read_table(Path(reference_path))
    current = read_table(Path(current_path))
    loaded = time.perf_counter()
    records = compute_drift(reference, current, schema)
    finished = time.perf_counter()
    agreement = max_difference_from_scipy(reference, current, schema)
    print(
        json.dumps(
            {
                "compute_s": finished - loaded,
                "load_s": loaded - started,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "records": len(records),
                "max_abs_diff_vs_scipy": agreement,
                "drifted": sorted({r.feature for r in records if r.drifted}),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
