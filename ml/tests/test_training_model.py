"""The fraud model: learns the known label function, survives drifted input, round-trips through MLflow."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from environments.data_schema import DataSchema
from ml.data.generator import generate
from ml.training import metrics, model


@pytest.fixture(scope="module")
def fitted(card_schema: DataSchema):
    return model.train(generate(card_schema, 6000, seed=1), card_schema, seed=1)


def test_the_model_finds_the_signal(card_schema: DataSchema, fitted) -> None:
    holdout = generate(card_schema, 4000, seed=2)
    measured = metrics.compute(model.labels(holdout, card_schema), model.score(fitted, holdout, card_schema))
    assert measured["roc_auc"] > 0.75
    assert measured["average_precision"] > holdout[card_schema.label].mean() * 2


@pytest.mark.parametrize("scenario", ["unseen_category", "missing_values_surge", "amount_inflation"])
def test_drifted_records_still_get_probabilities(card_schema: DataSchema, fitted, scenario: str) -> None:
    scores = model.score(fitted, generate(card_schema, 500, seed=3, scenario=scenario), card_schema)
    assert np.isfinite(scores).all()
    assert ((scores >= 0) & (scores <= 1)).all()


def test_save_and_load_keep_predictions_schema_metrics_and_baseline(
    tmp_path: Path, card_schema: DataSchema, fitted
) -> None:
    training = generate(card_schema, 300, seed=1)
    folder = model.save(fitted, tmp_path / "model", card_schema, {"train_roc_auc": 0.9}, baseline=training)
    frame = generate(card_schema, 50, seed=9)
    np.testing.assert_allclose(
        model.score(model.load(folder), frame, card_schema), model.score(fitted, frame, card_schema)
    )
    assert json.loads((folder / model.SCHEMA_FILE).read_text())["features"][0]["name"] == "amount"
    assert json.loads((folder / model.METRICS_FILE).read_text()) == {"train_roc_auc": 0.9}
    baseline = pd.read_parquet(folder / model.BASELINE_FILE)
    assert list(baseline.columns) == [*card_schema.feature_names, model.SCORE_COLUMN]
    assert len(baseline) == 300
    # The model's own scores on its training features: the reference for prediction drift.
    np.testing.assert_allclose(baseline[model.SCORE_COLUMN], model.score(fitted, training, card_schema))
    assert baseline[model.SCORE_COLUMN].between(0, 1).all()
    requirements = (folder / "requirements.txt").read_text()
    assert "scikit-learn==" in requirements and "mlflow==" in requirements


def test_pyfunc_signature_names_every_feature(tmp_path: Path, card_schema: DataSchema, fitted) -> None:
    from mlflow.models import Model

    folder = model.save(fitted, tmp_path / "model", card_schema, {})
    signature = Model.load(str(folder)).signature
    assert signature.inputs.input_names() == card_schema.feature_names
