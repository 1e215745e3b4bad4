"""Evidently's data drift preset on two Parquet files; prints timing and peak memory as JSON.

Runs in this folder's own environment (evidently 0.7.23 needs pandas < 3):
`uv run --project monitoring/bench/evidently python monitoring/bench/evidently/run_evidently.py REF CUR NUM CAT`.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def main(reference_path: str, current_path: str, numerical: str, categorical: str) -> None:
    started = time.perf_counter()
    reference = pd.read_parquet(reference_path)
    current = pd.read_parquet(current_path)
    loaded = time.perf_counter()
    definition = DataDefinition(
        numerical_columns=[c for c in numerical.split(",") if c],
        categorical_columns=[c for c in categorical.split(",") if c],
    )
    report = Report([DataDriftPreset()])
    snapshot = report.run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    snapshot.dict()  # materialise every metric result
    finished = time.perf_counter()
    print(
        json.dumps(
            {
                "compute_s": finished - loaded,
                "load_s": loaded - started,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
