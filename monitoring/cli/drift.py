"""`python -m monitoring drift [ENVIRONMENT] --reference A --current B [--schema S.yml] --out M.json`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.cli_arguments import add_environment
from environments.data_schema import load_data_schema
from environments.errors import ConfigError
from environments.loader import load_environment
from monitoring.drift import DEFAULT_THRESHOLDS, DriftError, compute_drift, read_table, write_records


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring drift",
        description="Drift of a current data set against a reference: one JSON record per feature and metric.",
    )
    parser.add_argument(
        "--reference", type=Path, required=True, help="Baseline data (Parquet file/folder or CSV)."
    )
    parser.add_argument(
        "--current", type=Path, required=True, help="Current data (Parquet file/folder or CSV)."
    )
    parser.add_argument("--schema", type=Path, help="Data schema YAML (feature types, ranges, categories).")
    add_environment(parser, required=False, purpose="take the schema and thresholds from it")
    parser.add_argument("--out", type=Path, required=True, help="Where to write the JSON list of records.")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        schema, thresholds = None, dict(DEFAULT_THRESHOLDS)
        if args.environment:
            env = load_environment(args.environment)
            schema, thresholds = env.data_schema(), env.monitoring.drift.model_dump()
        if args.schema:
            schema = load_data_schema(args.schema)
        records = compute_drift(read_table(args.reference), read_table(args.current), schema, thresholds)
        write_records(records, args.out)
    except (DriftError, ConfigError) as exc:
        print(f"drift: {exc}", file=sys.stderr)
        return 1
    drifted = sorted({r.feature for r in records if r.drifted})
    print(f"{len(records)} records -> {args.out}; drifted: {', '.join(drifted) or 'none'}")
    return 0
