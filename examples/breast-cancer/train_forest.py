"""The breast-cancer example's own training step: a random forest instead of the platform's logistic
regression, run by `train-component.yml` (the `model.training_component` seam, docs/own-data.md).

It takes what the platform's train step takes (the prep step's training split, the schema, a seed, the
label noise used by the gate check) and writes what the platform's train step writes: an MLflow model in
the sklearn flavour with the schema's signature, its data schema and the drift baseline, all through
`ml.training.model.save` (`ml.training.model_contract` says exactly what is required).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from environments.data_schema import DataSchema, load_data_schema
from ml.components.step_files import TRAIN_FILE, read_frame
from ml.training import metrics, model


def forest(schema: DataSchema, seed: int) -> Pipeline:
    """Categories as ordinal codes (unknown or missing: -1), numbers as they are (the forest splits on
    missing values itself), then 200 trees of leaves with at least 5 rows."""
    categories = [f.name for f in schema.features if f.type == "category"]
    numbers = [f.name for f in schema.features if f.type != "category"]
    encode = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
    columns = ColumnTransformer([("categories", encode, categories), ("numbers", "passthrough", numbers)])
    trees = RandomForestClassifier(n_estimators=200, min_samples_leaf=5, random_state=seed, n_jobs=1)
    return Pipeline([("features", columns), ("classifier", trees)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="train_forest", description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=Path, required=True, help="folder with the training split")
    parser.add_argument("--schema", type=Path, required=True, help="data schema YAML")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--label-noise", type=float, default=0.0)
    parser.add_argument("--model", type=Path, required=True, help="output folder for the MLflow model")
    args = parser.parse_args(argv)

    schema = load_data_schema(args.schema)
    frame = read_frame(args.train, TRAIN_FILE)
    if args.label_noise > 0:
        rng = np.random.default_rng(args.seed)
        flip = rng.random(len(frame)) < args.label_noise
        frame.loc[flip, schema.label] = rng.random(int(flip.sum())) < 0.5
    pipeline = forest(schema, args.seed)
    pipeline.fit(model.feature_frame(frame, schema), model.labels(frame, schema))
    train_metrics = metrics.compute(model.labels(frame, schema), model.score(pipeline, frame, schema))
    model.save(
        pipeline, args.model, schema, {f"train_{k}": v for k, v in train_metrics.items()}, baseline=frame
    )
    print(
        f"train_forest: roc_auc on the training split {train_metrics['roc_auc']:.4f}; model in {args.model}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
