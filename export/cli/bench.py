"""`python -m export bench --out build/bench/export.json [--rows N]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.bench_records import write_records
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from export.bench.hour_export import run_bench
from export.errors import ExportError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m export bench", description="Collector ingest and hour export."
    )
    parser.add_argument("--out", type=Path, default=Path("build/bench/export.json"))
    parser.add_argument("--rows", type=int, default=20_000, help="inference records in the benchmark hour")
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows must be at least 100")
    try:
        records = run_bench(load_environment("local").data_schema(), args.rows)
    except (ExportError, EnvironmentsError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    write_records(args.out, records)
    return 0 if all(r["met"] for r in records) else 1
