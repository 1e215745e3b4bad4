"""`train` component: fit the fraud model on the training split and save it as an MLflow model."""

from __future__ import annotations

import argparse
from pathlib import Path

import mlflow
import numpy as np

from environments.data_schema import load_data_schema
from ml.components.step_files import DATA_INFO_FILE, TRAIN_FILE, read_frame, read_json
from ml.training import metrics, model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="train", description=__doc__)
    parser.add_argument("--train", type=Path, required=True, help="folder with the training split")
    parser.add_argument("--schema", type=Path, required=True, help="data schema YAML")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument(
        "--label-noise",
        type=float,
        default=0.0,
        help="fraction of training labels replaced by coin flips (0 in real runs; checks that the gate holds)",
    )
    parser.add_argument("--model", type=Path, required=True, help="output folder for the MLflow model")
    args = parser.parse_args(argv)
    if not 0.0 <= args.label_noise <= 1.0:
        parser.error(f"--label-noise must be within [0, 1], got {args.label_noise}")

    schema = load_data_schema(args.schema)
    frame = read_frame(args.train, TRAIN_FILE)
    info = read_json(args.train, DATA_INFO_FILE)
    if args.label_noise > 0:
        rng = np.random.default_rng(args.seed)
        flip = rng.random(len(frame)) < args.label_noise
        frame.loc[flip, schema.label] = rng.random(int(flip.sum())) < 0.5
    pipeline = model.train(frame, schema, args.seed)
    train_metrics = metrics.compute(model.labels(frame, schema), model.score(pipeline, frame, schema))
    with mlflow.start_run():
        mlflow.log_params(
            {
                "seed": args.seed,
                "label_noise": args.label_noise,
                "classifier": "logistic_regression",
                "data_rows": info["rows"],
                "train_rows": info["split_rows"],
            }
        )
        mlflow.log_metrics({f"train_{k}": v for k, v in train_metrics.items()})
        mlflow.set_tag("data_fingerprint", info["data_fingerprint"])
    model.save(
        pipeline, args.model, schema, {f"train_{k}": v for k, v in train_metrics.items()}, baseline=frame
    )
    print(f"train: roc_auc on the training split {train_metrics['roc_auc']:.4f}; model in {args.model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
