"""A trained model folder (the platform's or a team's own training component) is checked before the gate:
everything serving, the registry and drift need is there, with the schema's signature."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from environments.data_schema import DataSchema, Feature
from ml.data.generator import generate
from ml.training import model
from ml.training.model_contract import model_problems


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, card_schema: DataSchema) -> Path:
    frame = generate(card_schema, 2000, seed=4)
    pipeline = model.train(frame, card_schema, 4)
    return model.save(
        pipeline, tmp_path_factory.mktemp("contract") / "model", card_schema, {}, baseline=frame
    )


def test_a_model_saved_by_the_platform_meets_the_contract(model_dir: Path, card_schema: DataSchema) -> None:
    assert model_problems(model_dir, card_schema) == []


def test_a_model_for_another_schema_is_refused_naming_the_inputs(model_dir: Path, card_schema) -> None:
    other = card_schema.model_copy(
        update={
            "features": (*card_schema.features, Feature(name="site", type="category", categories=("a", "b")))
        }
    )
    problems = model_problems(model_dir, other)
    assert any(p.endswith(f"signature: input site missing (schema {other.name})") for p in problems), problems
    assert any("data_schema.json: features differ" in p for p in problems)
    assert any("baseline.parquet: columns missing: site" in p for p in problems)


def test_missing_files_are_named(model_dir: Path, card_schema, tmp_path: Path) -> None:
    copy = shutil.copytree(model_dir, tmp_path / "model")
    (copy / model.BASELINE_FILE).unlink()
    (copy / model.SCHEMA_FILE).write_text(json.dumps({"features": []}))
    problems = model_problems(copy, card_schema)
    assert len(problems) == 2
    assert problems[0].startswith(f"{copy / model.SCHEMA_FILE}: features differ")
    assert problems[1].startswith(f"{copy / model.BASELINE_FILE}: cannot read the drift baseline")
    assert model_problems(tmp_path / "nothing", card_schema) == [
        f"{tmp_path / 'nothing' / 'MLmodel'}: missing: not an MLflow model folder"
    ]
