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
    print(
        json.dumps(
            {
                "compute_s": finished - loaded,
                "load_s": loaded - started,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "records": len(records),
                "drifted": sorted({r.feature for r in records if r.drifted}),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
