"""`data.schema_file` and `data.training_file`: absolute paths are kept, relative ones resolve against
the folder of the environment file that sets them, and the rendered pipelines point at the same file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from environments.data_schema import load_data_schema
from environments.errors import ConfigError
from environments.loader import OVERRIDES_VARIABLE, load_environment
from environments.model import REPO_ROOT
from environments.render import render_environment

CARD_SCHEMA = REPO_ROOT / "environments" / "schemas" / "card-transactions.yml"


def _overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: dict) -> Path:
    path = tmp_path / "config" / "overrides.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"data": data}))
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(path))
    return path


def test_the_shipped_schema_path_is_repository_relative() -> None:
    env = load_environment("dev")
    assert env.data.schema_file == "environments/schemas/card-transactions.yml"
    assert env.data.schema_path() == CARD_SCHEMA


def test_an_absolute_schema_path_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = tmp_path / "elsewhere" / "my-schema.yml"
    schema.parent.mkdir()
    shutil.copyfile(CARD_SCHEMA, schema)
    _overrides(tmp_path, monkeypatch, {"schema_file": str(schema)})
    env = load_environment("local")
    assert env.data.schema_path() == schema
    assert env.data_schema().name == "card-transactions"


def test_relative_paths_resolve_against_the_file_that_sets_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = _overrides(
        tmp_path, monkeypatch, {"schema_file": "my-schema.yml", "training_file": "d/t.csv"}
    )
    shutil.copyfile(CARD_SCHEMA, overrides.parent / "my-schema.yml")
    env = load_environment("local")
    assert env.data.schema_path() == overrides.parent / "my-schema.yml"
    assert env.data.training_path() == overrides.parent / "d" / "t.csv"


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_rendered_training_and_drift_pipelines_name_the_configured_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The issue: an absolute path was glued onto `environments/` in the rendered pipeline."""
    schema = tmp_path / "config" / "my-schema.yml"
    schema.parent.mkdir(parents=True)
    shutil.copyfile(CARD_SCHEMA, schema)
    _overrides(tmp_path, monkeypatch, {"schema_file": str(schema) if kind == "absolute" else "my-schema.yml"})
    out = tmp_path / "build"
    render_environment("local", out=out, domains=("ml", "monitoring"))
    for pipeline in (
        out / "ml/azureml/pipelines/training.yml",
        out / "monitoring/azureml/pipelines/drift.yml",
    ):
        given = Path(yaml.safe_load(pipeline.read_text())["inputs"]["schema"]["path"])
        resolved = given if given.is_absolute() else (pipeline.parent / given)
        assert resolved.resolve() == schema.resolve(), pipeline


def test_a_schema_type_error_names_the_feature(tmp_path: Path) -> None:
    schema = yaml.safe_load(CARD_SCHEMA.read_text())
    schema["features"][3]["type"] = "bool"
    path = tmp_path / "schema.yml"
    path.write_text(yaml.safe_dump(schema))
    with pytest.raises(ConfigError) as caught:
        load_data_schema(path)
    name = schema["features"][3]["name"]
    assert caught.value.problems[0].startswith(f"{path}: feature {name}.type: ")
    assert "features.3" not in str(caught.value)
