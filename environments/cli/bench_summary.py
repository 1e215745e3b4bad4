"""`python -m environments bench-summary FOLDER`: combine build/bench/<domain>.json into summary.json."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments bench-summary", description=__doc__.splitlines()[0]
    )
    parser.add_argument("folder")
    args = parser.parse_args(argv)
    from environments.bench_records import summarize

    print(f"wrote {summarize(Path(args.folder))}")
    return 0
