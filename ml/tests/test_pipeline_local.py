"""The local pipeline on a real MLflow (SQLite) store: trains, gates, registers; a worse model is refused.

The same rendered component YAML that Azure ML runs is executed step by step as subprocesses.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from environments.model import Environment
from ml.data import store
from ml.pipeline.errors import StepFailedError
from ml.pipeline.local_runner import run_pipeline
from ml.pipeline.training import train_local
from ml.registry import tracking
from ml.registry.manifest import read_manifest
from ml.training import model

pytestmark = pytest.mark.slow  # runs the whole training pipeline, twice (minutes)

ROWS = 3000
NOISY = {"label_noise": 0.5}  # half the training labels replaced by coin flips


@pytest.fixture(scope="module")
def pipeline_path(rendered_ml: dict[str, Path]) -> Path:
    return rendered_ml["local"] / "azureml" / "pipelines" / "training.yml"


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, local_environment: Environment, pipeline_path: Path
) -> dict:
    """Two runs on one store: a first model, then a challenger trained on half-random labels."""
    state = tmp_path_factory.mktemp("state")
    data = store.prepare(local_environment, state, rows=ROWS)
    log: list[str] = []
    first = train_local(local_environment, state, pipeline_path, progress=log.append)
    second = train_local(local_environment, state, pipeline_path, overrides=NOISY, progress=log.append)
    return {"state": state, "data": data, "runs": [first, second], "log": log}


def test_first_run_registers_its_model_as_production(runs: dict, local_environment: Environment) -> None:
    registration, manifest = runs["runs"][0]
    assert registration["registered"] is True
    assert registration["version"] == "1"
    assert registration["reason"] == "no production model yet"
    assert registration["data_fingerprint"] == runs["data"].fingerprint
    assert manifest["version"] == "1"
    client = tracking.client(runs["state"])
    assert str(client.get_model_version_by_alias(local_environment.model.name, "production").version) == "1"
    assert client.get_model_version(local_environment.model.name, "1").tags["stage"] == "production"


def test_a_worse_challenger_is_not_registered_and_the_champion_stays(runs: dict, local_environment) -> None:
    registration, manifest = runs["runs"][1]
    assert registration["registered"] is False
    assert "champion v1" in registration["reason"]
    # Whatever its ranking, the noisy model's probabilities are far off on the true holdout labels.
    assert registration["metrics"]["log_loss"] > runs["runs"][0][0]["metrics"]["log_loss"] + 0.05
    client = tracking.client(runs["state"])
    name = local_environment.model.name
    assert str(client.get_model_version_by_alias(name, "production").version) == "1"
    assert len(client.search_model_versions(f"name='{name}'")) == 1
    assert manifest == runs["runs"][0][1]
    assert read_manifest(runs["state"]) == manifest


def test_label_noise_touches_only_the_training_split(runs: dict, local_environment: Environment) -> None:
    """The gate's holdout keeps the data's own labels, in both runs."""
    label = local_environment.data_schema().label
    data = pd.read_parquet(runs["data"].path).set_index("transaction_id")[label]
    holdouts = sorted(runs["state"].glob("ml/runs/*/prep/holdout_data/holdout.parquet"))
    assert len(holdouts) == 2
    for path in holdouts:
        holdout = pd.read_parquet(path).set_index("transaction_id")[label]
        assert holdout.equals(data.loc[holdout.index])


def test_manifest_describes_the_production_model(runs: dict, local_environment: Environment) -> None:
    manifest = read_manifest(runs["state"])
    schema = local_environment.data_schema()
    assert manifest["model_name"] == local_environment.model.name
    assert manifest["model_uri"] == f"models:/{local_environment.model.name}/1"
    assert manifest["data_fingerprint"] == runs["data"].fingerprint
    assert manifest["metrics"]["roc_auc"] > 0.65
    assert set(manifest["metrics"]) == {"roc_auc", "average_precision", "log_loss"}
    production = model.load(manifest["model_path"])
    frame = pd.read_parquet(runs["data"].path).head(20)
    assert model.score(production, frame, schema).shape == (20,)
    assert (Path(manifest["model_path"]) / model.SCHEMA_FILE).is_file()


def test_baseline_holds_the_training_features_of_the_production_model(runs: dict, local_environment) -> None:
    baseline = pd.read_parquet(runs["state"] / "data" / "baseline.parquet")
    schema = local_environment.data_schema()
    assert list(baseline.columns) == [*schema.feature_names, "score"]
    assert len(baseline) == int(ROWS * 0.8)
    production = model.load(read_manifest(runs["state"])["model_path"])
    assert baseline["score"].to_numpy() == pytest.approx(model.score(production, baseline, schema))
    assert read_manifest(runs["state"])["baseline_path"] == str(
        (runs["state"] / "data" / "baseline.parquet").resolve()
    )


def test_each_step_is_a_tracked_child_run(runs: dict) -> None:
    client = tracking.client(runs["state"])
    experiment = client.get_experiment_by_name("card-fraud-training")
    finished = client.search_runs([experiment.experiment_id])
    parents = [r for r in finished if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in finished if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 2
    assert sorted(r.info.run_name for r in children) == sorted(["prep", "train", "evaluate", "register"] * 2)
    assert all(r.info.status == "FINISHED" for r in finished)
    evaluations = [r for r in children if r.info.run_name == "evaluate"]
    assert {r.data.tags["gate.register"] for r in evaluations} == {"true", "false"}
    assert all("holdout_roc_auc" in r.data.metrics for r in evaluations)


def test_a_failing_step_stops_the_run_and_names_its_log(
    tmp_path: Path, runs: dict, pipeline_path: Path, local_environment: Environment
) -> None:
    bad = tmp_path / "bad.csv"
    frame = pd.read_parquet(runs["data"].path).head(200).astype({"amount": object})
    frame.loc[0, "amount"] = "lots"
    frame.to_csv(bad, index=False)
    with pytest.raises(StepFailedError) as caught:
        run_pipeline(pipeline_path, runs["state"], {"data": bad}, progress=lambda _: None)
    assert caught.value.step == "prep"
    assert "column amount: row 1 (line 2): not a number" in str(caught.value)
    assert caught.value.log.is_file()
    assert read_manifest(runs["state"])["version"] == "1"
