"""`prep` component: validate the training data against the schema and split off a stratified holdout.

It records the data's fingerprint and row counts in `data.json` beside each split; the train step logs
them to MLflow (this step stays free of MLflow, which is slow to import).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sklearn.model_selection import train_test_split

from environments.data_schema import load_data_schema
from ml.components.step_files import DATA_INFO_FILE, HOLDOUT_FILE, TRAIN_FILE, write_json
from ml.data import loader
from ml.data.store import fingerprint


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prep", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="training data file (CSV or Parquet)")
    parser.add_argument("--schema", type=Path, required=True, help="data schema YAML")
    parser.add_argument("--holdout-fraction", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--train", type=Path, required=True, help="output folder for the training split")
    parser.add_argument("--holdout", type=Path, required=True, help="output folder for the holdout split")
    args = parser.parse_args(argv)

    schema = load_data_schema(args.schema)
    data_file = args.data if args.data.is_file() else _single_file(args.data)
    frame = loader.load(data_file, schema)
    train, holdout = train_test_split(
        frame, test_size=args.holdout_fraction, random_state=args.seed, stratify=frame[schema.label]
    )
    info = {"data_fingerprint": fingerprint(data_file), "rows": len(frame), "schema": schema.name}
    for folder, part, name in ((args.train, train, TRAIN_FILE), (args.holdout, holdout, HOLDOUT_FILE)):
        folder.mkdir(parents=True, exist_ok=True)
        part.to_parquet(folder / name, index=False)
        write_json(folder, DATA_INFO_FILE, {**info, "split_rows": len(part)})
    print(f"prep: {len(train)} training rows, {len(holdout)} holdout rows from {data_file}")
    return 0


def _single_file(folder: Path) -> Path:
    """A data asset mounted as a folder: the one CSV or Parquet file inside it."""
    found = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".csv", ".parquet", ".pq"))
    if len(found) != 1:
        raise FileNotFoundError(f"{folder}: expected one .csv or .parquet file, found {len(found)}")
    return found[0]


if __name__ == "__main__":
    raise SystemExit(main())
