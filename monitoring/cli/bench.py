"""`python -m monitoring bench [local] --out build/bench/drift.json [--rows N]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.bench_records import write_records
from environments.cli_arguments import add_environment
from environments.errors import ConfigError
from environments.loader import load_environment
from monitoring.bench.run import run_bench
from monitoring.drift.errors import DriftError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring bench", description="Drift metrics vs Evidently's data drift preset."
    )
    parser.add_argument("--out", type=Path, default=Path("build/bench/drift.json"))
    parser.add_argument("--rows", type=int, default=1_000_000, help="Rows of reference and of current data.")
    add_environment(parser, default="local", purpose="its data schema is used")
    args = parser.parse_args(argv)
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    try:
        env = load_environment(args.environment)
        records = run_bench(
            env.data_schema(),
            env.data.schema_path(),
            args.rows,
            args.out.parent / "drift-data",
        )
    except (ConfigError, DriftError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    write_records(args.out, records)
    return 0
