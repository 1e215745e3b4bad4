"""The fraud model: a scikit-learn pipeline built from the data schema, saved as an MLflow model.

Logistic regression on scaled numerics and one-hot categories: its `predict_proba` is a couple of
vectorised matrix operations, which keeps batch scoring on the endpoint cheap. Unknown categories
encode as all zeros and missing values are imputed, so a drifted record still gets a score.

Input to `predict_proba`: a DataFrame with the schema's feature columns; numeric and boolean columns
as numbers (booleans 0/1, NaN for missing), category columns as strings (None for missing).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from environments.data_schema import DataSchema

METRICS_FILE = "metrics.json"
SCHEMA_FILE = "data_schema.json"
BASELINE_FILE = "baseline.parquet"
SCORE_COLUMN = "score"


def feature_frame(frame: pd.DataFrame, schema: DataSchema) -> pd.DataFrame:
    """The model's input: schema features with plain numpy dtypes (float for numbers, object for text)."""
    columns = {}
    for feature in schema.features:
        column = frame[feature.name]
        if feature.type == "category":
            columns[feature.name] = column.astype(object).where(column.notna(), None)
        else:
            columns[feature.name] = (
                pd.to_numeric(column, errors="raise").astype("Float64").to_numpy(np.float64, na_value=np.nan)
            )
    return pd.DataFrame(columns, index=frame.index)


def labels(frame: pd.DataFrame, schema: DataSchema) -> np.ndarray:
    """The label column as 0/1 integers."""
    return frame[schema.label].astype(bool).to_numpy(dtype=np.int64)


def build(schema: DataSchema, seed: int) -> Pipeline:
    """An untrained pipeline for the schema's features."""
    categorical = [f.name for f in schema.features if f.type == "category"]
    numeric = [f.name for f in schema.features if f.type != "category"]
    encode = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="__missing__"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64),
    )
    scale = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    columns = ColumnTransformer([("categories", encode, categorical), ("numbers", scale, numeric)])
    classifier = LogisticRegression(C=1.0, max_iter=500, random_state=seed)
    return Pipeline([("features", columns), ("classifier", classifier)])


def train(frame: pd.DataFrame, schema: DataSchema, seed: int) -> Pipeline:
    """Fit the pipeline on a labelled frame."""
    pipeline = build(schema, seed)
    pipeline.fit(feature_frame(frame, schema), labels(frame, schema))
    return pipeline


def _quiet_mlflow() -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


SIGNATURE_KINDS = {
    "float": "double",
    "integer": "double",
    "count": "double",
    "boolean": "double",
    "category": "string",
}
"""MLflow signature type of each feature type (the model's input: `feature_frame`)."""


def signature_types(schema: DataSchema) -> dict[str, str]:
    """Feature name -> the MLflow signature type the model's input column has."""
    return {f.name: SIGNATURE_KINDS[f.type] for f in schema.features}


def _signature(schema: DataSchema) -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    inputs = Schema([ColSpec(kind, name, required=False) for name, kind in signature_types(schema).items()])
    outputs = Schema([ColSpec("double", "score")])
    return ModelSignature(inputs=inputs, outputs=outputs)


def _requirements() -> list[str]:
    """Pinned runtime requirements of the saved model (skips MLflow's slow inference)."""
    from importlib.metadata import version

    return [
        f"{name}=={version(name)}" for name in ("mlflow", "scikit-learn", "numpy", "pandas", "cloudpickle")
    ]


def save(
    pipeline: Pipeline,
    path: Path,
    schema: DataSchema,
    metrics: dict[str, float],
    baseline: pd.DataFrame | None = None,
) -> Path:
    """Write an MLflow model directory (mlflow.sklearn flavour) with the schema and metrics beside it.

    `baseline` (the training features) travels with the model as the reference for drift detection,
    with the model's own `score` on each row (the reference for prediction drift).
    """
    _quiet_mlflow()
    import mlflow.sklearn

    mlflow.sklearn.save_model(
        pipeline,
        str(path),
        signature=_signature(schema),
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        pyfunc_predict_fn="predict_proba",
        pip_requirements=_requirements(),
    )
    (path / SCHEMA_FILE).write_text(json.dumps(schema.model_dump(mode="json"), indent=2), encoding="utf-8")
    (path / METRICS_FILE).write_text(json.dumps(metrics, indent=2, sort_keys=True), encoding="utf-8")
    if baseline is not None:
        baseline_frame(pipeline, baseline, schema).to_parquet(path / BASELINE_FILE, index=False)
    return path


def baseline_frame(pipeline: Pipeline, frame: pd.DataFrame, schema: DataSchema) -> pd.DataFrame:
    """The drift reference: the schema's feature columns as given, plus the model's `score` per row."""
    reference = frame[schema.feature_names].reset_index(drop=True)
    reference[SCORE_COLUMN] = score(pipeline, frame, schema)
    return reference


def load(path: Path | str) -> Pipeline:
    """Load the scikit-learn pipeline from an MLflow model directory or URI."""
    _quiet_mlflow()
    import mlflow.sklearn

    return mlflow.sklearn.load_model(str(path))


def score(pipeline: Pipeline, frame: pd.DataFrame, schema: DataSchema) -> np.ndarray:
    """Probability of fraud for each row."""
    return pipeline.predict_proba(feature_frame(frame, schema))[:, 1]
