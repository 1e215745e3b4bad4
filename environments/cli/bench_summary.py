"""`python -m environments bench-summary FOLDER`: combine build/bench/<domain>.json into summary.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.errors import EnvironmentsError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments bench-summary", description=__doc__.splitlines()[0]
    )
    parser.add_argument("folder")
    args = parser.parse_args(argv)
    from environments.bench_records import summarize

    try:
        print(f"wrote {summarize(Path(args.folder))}")
    except EnvironmentsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
