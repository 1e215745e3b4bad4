"""Training data on disk: written once with a content fingerprint, refused when it changed since."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from environments.model import Environment
from ml.data import store
from ml.data.errors import DataFileError, DataValidationError
from ml.data.generator import generate


def test_generated_training_data_is_reproducible(tmp_path: Path, local_environment: Environment) -> None:
    first = store.prepare(local_environment, tmp_path / "a", rows=1000)
    second = store.prepare(local_environment, tmp_path / "b", rows=1000)
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint == store.fingerprint(first.path)
    assert first.rows == 1000
    assert first.source == f"generated:rows=1000,seed={local_environment.data.seed}"
    assert store.read(store.data_dir(tmp_path / "a")) == first
    assert store.asset_version(first.fingerprint) == first.fingerprint.removeprefix("sha256:")[:12]


def test_a_users_file_is_validated_and_recorded(tmp_path: Path, local_environment: Environment) -> None:
    schema = local_environment.data_schema()
    source = tmp_path / "mine.csv"
    generate(schema, 500, seed=2).to_csv(source, index=False)
    recorded = store.prepare(local_environment, tmp_path / "state", source=source)
    assert recorded.source == "file:mine.csv"
    assert len(pd.read_parquet(recorded.path)) == 500

    frame = pd.read_csv(source)
    frame.loc[0, "channel"] = "carrier-pigeon"
    frame.to_csv(source, index=False)
    with pytest.raises(DataValidationError, match="column channel: row 1"):
        store.prepare(local_environment, tmp_path / "state", source=source)
    assert store.read(store.data_dir(tmp_path / "state")) == recorded  # the accepted data is kept


def test_changed_content_is_detected(tmp_path: Path, local_environment: Environment) -> None:
    recorded = store.prepare(local_environment, tmp_path, rows=1000)
    generate(local_environment.data_schema(), 1000, seed=99).to_parquet(recorded.path)
    with pytest.raises(DataFileError, match="content changed"):
        store.read(store.data_dir(tmp_path))


def test_reading_without_data_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="python -m ml data"):
        store.read(tmp_path)
