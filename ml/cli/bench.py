"""`python -m ml bench [local] [--out build/bench/ml.json]`: scoring through azmlinfsrv vs in process."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.bench_records import write_records
from environments.cli_arguments import add_environment
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from ml.serving.errors import ServingError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml bench", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/bench/ml.json"))
    add_environment(parser, default="local", purpose="its data schema and seed are used")
    args = parser.parse_args(argv)
    from ml.bench.scoring import run_bench

    try:
        records = run_bench(
            load_environment(args.environment), report=lambda line: print(f"bench: {line}", file=sys.stderr)
        )
    except (EnvironmentsError, ServingError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    write_records(args.out, records)
    return 0
