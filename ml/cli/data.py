"""`python -m ml data <env>`: make or check data.

python -m ml data local                          generate the environment's training data (seeded)
python -m ml data local --from my.csv            validate a user's file and use it as training data
python -m ml data local --out x.parquet --rows 5000 --seed 7 --scenario amount_inflation
                                                 write a sample (CSV, Parquet or JSON lines), e.g. drifted
python -m ml data local --out x.jsonl --rows 800 --drift '{kind: shift, feature: amount, sd: 3}'
                                                 a sample with a schema-defined drift scenario; with
                                                 data.training_file set, replayed from its held-out rows
python -m ml data local --out f.parquet --whole-file --drift '...'
                                                 data.training_file, every labelled row, drifted
python -m ml data local --check my.parquet       validate a file against the schema only
python -m ml data local --scenarios              list the drift scenarios and the features they affect
python -m ml data local --feedback labelled.csv  register the next training data version: the newest
                                                 one plus these labelled rows (columns: request_id, time,
                                                 the features, the label; docs/contracts.md)
python -m ml data local --feedback-container     the same with every file in the environment's feedback
                                                 container (Azurite); for an Azure environment it checks
                                                 the files only (`ml pipeline <env>` merges them there)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pandas as pd

from environments.drift_scenario import DriftScenario, parse_scenario
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.model import Environment
from ml.data import feedback_store, generator, loader, replay, store, versions
from ml.data.errors import DataError
from ml.data.scenario import apply_scenario


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml data", description=__doc__.split("\n")[0])
    parser.add_argument("environment")
    parser.add_argument("--from", dest="source", type=Path, help="a CSV/Parquet file to use as training data")
    parser.add_argument("--check", type=Path, help="only validate this file against the schema")
    parser.add_argument("--out", type=Path, help="write a generated sample here instead of training data")
    parser.add_argument("--rows", type=int, help="rows to generate (default: data.training_rows)")
    parser.add_argument("--seed", type=int, help="seed (default: data.seed)")
    parser.add_argument("--scenario", choices=sorted(generator.SCENARIOS), help="drift scenario for --out")
    parser.add_argument("--start", type=datetime.fromisoformat, help="first event time (ISO 8601) for --out")
    parser.add_argument(
        "--drift", help="a drift scenario for --out, as YAML/JSON (environments.drift_scenario)"
    )
    parser.add_argument(
        "--whole-file",
        action="store_true",
        help="--out: every row of data.training_file (labelled, e.g. for retraining) instead of replayed rows",
    )
    parser.add_argument("--scenarios", action="store_true", help="list drift scenarios")
    parser.add_argument(
        "--feedback", type=Path, help="labelled rows (CSV/Parquet/JSON lines): register the next data version"
    )
    parser.add_argument(
        "--feedback-container",
        action="store_true",
        help="register the next data version from the environment's feedback container",
    )
    parser.add_argument("--state-dir", type=Path, help="state folder (default: from the environment)")
    return parser


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write by suffix: .csv, .parquet or .jsonl (one JSON record per line, ISO times)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, date_format="iso")
    else:
        raise DataError(f"{path}: unsupported output type {suffix!r}: use .csv, .parquet or .jsonl")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        env = load_environment(args.environment)
        schema = env.data_schema()
        if args.scenarios:
            for scenario in generator.SCENARIOS.values():
                print(f"{scenario.name}: affects {', '.join(scenario.affects)}. {scenario.description}")
            return 0
        if args.check:
            frame = loader.load(args.check, schema)
            print(f"{args.check}: {len(frame)} rows match schema {schema.name}")
            return 0
        if args.out:
            seed = env.data.seed if args.seed is None else args.seed
            drift = parse_scenario(args.drift) if args.drift else None
            frame, origin = _sample(env, args, seed, drift)
            write_frame(frame, args.out)
            print(
                f"{args.out}: {len(frame)} rows {origin}, seed {seed}, scenario {_named(args.scenario, drift)}"
            )
            return 0
        state = args.state_dir or store.state_dir(env)
        if args.feedback:
            registration = versions.register_feedback(state, schema, args.feedback)
            print(json.dumps(_registration_record(registration, str(args.feedback)), indent=2))
            return 0
        if args.feedback_container:
            files = feedback_store.read_feedback(
                feedback_store.container_client(env, dict(os.environ)),
                schema,
                missing_ok=env.local is not None,
            )
            if env.local is None:  # Azure: the workspace's data asset takes the feedback, not this folder
                checked = {"feedback_source": files.where, "files": files.names, "feedback_rows": files.rows}
                note = f"checked only: `python -m ml pipeline {env.name}` merges it into the data asset"
                print(json.dumps({**checked, "note": note}, indent=2))
                return 0
            registration = versions.register_feedback_rows(
                state, schema, files.frames, f"feedback:{files.where}"
            )
            record = _registration_record(registration, files.where)
            print(json.dumps({**record, "files": files.names, "note": files.note or None}, indent=2))
            return 0
        training = store.prepare(env, state, args.source, args.rows)
        version = versions.register(state, training)
        print(
            json.dumps({**asdict(training), "path": str(training.path), "version": version.version}, indent=2)
        )
        return 0
    except (EnvironmentsError, DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _sample(
    env: Environment, args: argparse.Namespace, seed: int, drift: DriftScenario | None
) -> tuple[pd.DataFrame, str]:
    """The rows `--out` writes, with `drift` applied: generated (drifted before labelling), or (with
    data.training_file) replayed from its held-out part or, with `--whole-file`, the whole file (drifted
    rows keep their recorded labels)."""
    schema = env.data_schema()
    configured = store.configured_file(env)
    if configured is None:
        if args.whole_file:
            raise DataError("--whole-file needs data.training_file in the environment")
        rows = args.rows or env.data.training_rows
        return generator.generate(schema, rows, seed, args.scenario, args.start, drift), "generated"
    if args.scenario:
        raise DataError(
            f"--scenario {args.scenario} is a card-generator scenario; with data.training_file use --drift"
        )
    if args.whole_file:
        frame, origin = loader.load(configured, schema), f"from {configured}"
    else:
        state = args.state_dir or store.state_dir(env)
        rows = args.rows or env.data.training_rows
        held_out = store.held_out(env, state)
        frame = replay.replay(held_out, schema, rows, seed, args.out.stem, args.start)
        origin = f"replayed from the held-out part of {configured}"
    return (frame if drift is None else apply_scenario(frame, drift, schema, seed)), origin


def _registration_record(registration: versions.FeedbackRegistration, source: str) -> dict[str, object]:
    """What a feedback registration prints: the version training reads and the rows from feedback."""
    return {
        **asdict(registration.version),
        "new_version": registration.new,
        "feedback_source": source,
        "feedback_rows": registration.feedback_rows,
        "new_feedback_rows": registration.new_rows,
    }


def _named(name: str | None, drift: DriftScenario | None) -> str:
    return drift.describe() if drift is not None else (name or "none")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
