"""The drift benchmark: our metric set against Evidently's data drift preset, same data, same run.

Each side runs in a child process with one thread (numpy/Arrow/BLAS pinned to one), reads the same two
Parquet files and reports its compute time and its own peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss`` at exit, so
imports, the loaded data and every intermediate count).
Evidently runs from its own uv project (``monitoring/bench/evidently``, pandas < 3), never the project's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from environments.bench_records import bench_record
from environments.data_schema import DataSchema
from monitoring.bench.data import scored_table
from monitoring.drift.errors import DriftError

REPO = Path(__file__).resolve().parents[2]
EVIDENTLY_PROJECT = Path(__file__).resolve().parent / "evidently"
SPEEDUP_GOAL = 40.0
MEMORY_GOAL = 0.5
CURRENT_SCENARIO = "amount_inflation"

_ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "POLARS_MAX_THREADS": "1",
    "ARROW_NUM_THREADS": "1",
}


class BenchError(DriftError):
    """A benchmark child failed or could not start."""


@dataclass(frozen=True)
class ChildResult:
    compute_s: float
    wall_s: float
    peak_rss_mb: float
    report: dict


def _run_child(argv: list[str], cwd: Path) -> ChildResult:
    """Run one child with one thread; its JSON report plus wall time and peak RSS from wait4."""
    env = {**os.environ, **_ONE_THREAD, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise BenchError(
            f"{' '.join(argv[:3])} ... failed with exit {process.returncode}: {stderr.strip()[-2000:]}"
        )
    report = json.loads(stdout.strip().splitlines()[-1])
    return ChildResult(report["compute_s"], wall, float(report["peak_rss_mb"]), report)


def _evidently_python() -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise BenchError("the Evidently baseline needs `uv` on PATH (https://docs.astral.sh/uv/)")
    found = subprocess.run(
        [
            uv,
            "run",
            "--frozen",
            "--project",
            str(EVIDENTLY_PROJECT),
            "python",
            "-c",
            "import sys; print(sys.executable)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise BenchError(
            f"cannot prepare the Evidently environment in {EVIDENTLY_PROJECT}: {found.stderr.strip()}"
        )
    return found.stdout.strip().splitlines()[-1]


def write_data(schema: DataSchema, rows: int, folder: Path) -> tuple[Path, Path]:
    """Reference (seed 1) and current (seed 2, amount inflated) Parquet files of `rows` rows each."""
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    reference, current = folder / f"reference-{rows}.parquet", folder / f"current-{rows}.parquet"
    pq.write_table(scored_table(schema, rows, seed=1), reference)
    pq.write_table(scored_table(schema, rows, seed=2, scenario=CURRENT_SCENARIO), current)
    return reference, current


def run_bench(schema: DataSchema, schema_path: Path, rows: int, folder: Path) -> list[dict]:
    """Both sides on the same files; benchmark records as in DESIGN.md."""
    reference, current = write_data(schema, rows, folder)
    ours = _run_child(
        [sys.executable, "-m", "monitoring.bench.ours", str(reference), str(current), str(schema_path)], REPO
    )
    numerical = [f.name for f in schema.features if f.is_numeric] + ["score"]
    categorical = [f.name for f in schema.features if not f.is_numeric]
    evidently = _run_child(
        [
            _evidently_python(),
            str(EVIDENTLY_PROJECT / "run_evidently.py"),
            str(reference),
            str(current),
            ",".join(numerical),
            ",".join(categorical),
        ],
        EVIDENTLY_PROJECT,
    )
    params = {
        "reference_rows": rows,
        "current_rows": rows,
        "columns": len(schema.features) + 1,
        "threads": 1,
        "current_scenario": CURRENT_SCENARIO,
        "ours": "normalized Wasserstein, JS, PSI, KS (stat+p) per numeric; JS, PSI, chi-squared per categorical; "
        "prediction drift on score; null/type/range rates",
        "baseline": "evidently==0.7.23 DataDriftPreset (own uv environment)",
    }

    def record(name: str, value: float, unit: str, baseline: float, goal: str, met: bool) -> dict:
        return bench_record(name, value, unit, baseline, goal, met, params)

    speed_ratio = ours.compute_s / evidently.compute_s
    memory_ratio = ours.peak_rss_mb / evidently.peak_rss_mb
    return [
        record(
            "drift_metrics_time",
            ours.compute_s,
            "s",
            evidently.compute_s,
            f">= {SPEEDUP_GOAL:.0f}x faster than Evidently (ratio <= {1 / SPEEDUP_GOAL})",
            speed_ratio <= 1 / SPEEDUP_GOAL,
        ),
        record(
            "drift_peak_rss",
            ours.peak_rss_mb,
            "MB",
            evidently.peak_rss_mb,
            f"<= {MEMORY_GOAL} of Evidently's peak RSS",
            memory_ratio <= MEMORY_GOAL,
        ),
        {
            "name": "drift_max_abs_diff_vs_scipy",
            "value": ours.report["max_abs_diff_vs_scipy"],
            "unit": "absolute difference",
            "baseline": None,
            "ratio": None,
            "goal": "<= 1e-9 (Wasserstein, KS statistic and p-value, JS vs scipy on the first 100k rows)",
            "met": ours.report["max_abs_diff_vs_scipy"] <= 1e-9,
            "params": params,
        },
        record(
            "drift_end_to_end_time",
            ours.wall_s,
            "s",
            evidently.wall_s,
            "informational: process start, imports, Parquet read and metrics",
            True,
        ),
    ]
