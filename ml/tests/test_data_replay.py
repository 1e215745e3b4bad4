"""A user's file is split by row id into training rows and held-out rows that the loop replays."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from environments.data_schema import DataSchema
from environments.loader import OVERRIDES_VARIABLE, load_environment
from ml.data import store
from ml.data.generator import generate
from ml.data.replay import held_out_mask, replay, split


@pytest.fixture(scope="module")
def rows(card_schema: DataSchema) -> pd.DataFrame:
    return generate(card_schema, 2000, seed=3)


def test_the_split_depends_on_the_ids_only(rows, card_schema) -> None:
    training, held_out = split(rows, card_schema, 0.3, seed=7)
    shuffled_training, shuffled_held_out = split(
        rows.sample(frac=1, random_state=1), card_schema, 0.3, seed=7
    )
    ids = card_schema.id_column
    assert set(held_out[ids]) == set(shuffled_held_out[ids])
    assert set(training[ids]) == set(shuffled_training[ids])
    assert not set(training[ids]) & set(held_out[ids])
    assert len(training) + len(held_out) == len(rows)
    assert len(held_out) == pytest.approx(600, abs=80)


def test_another_seed_holds_out_other_rows(rows, card_schema) -> None:
    ids = rows[card_schema.id_column]
    assert (held_out_mask(ids, 0.3, 1) != held_out_mask(ids, 0.3, 2)).any()


def test_a_split_that_leaves_a_part_empty_is_refused(rows, card_schema) -> None:
    with pytest.raises(ValueError, match="needs more rows"):
        split(rows.head(1), card_schema, 0.3, seed=7)


def test_replay_sends_held_out_rows_with_fresh_ids_and_times(rows, card_schema) -> None:
    _, held_out = split(rows, card_schema, 0.1, seed=7)
    start = datetime(2026, 11, 30, 8, tzinfo=UTC)
    sent = replay(held_out, card_schema, 3 * len(held_out) + 5, seed=101, tag="normal", start=start)
    assert len(sent) == 3 * len(held_out) + 5
    assert sent[card_schema.id_column].is_unique
    originals = sent[card_schema.id_column].str.split("-", n=2).str[2]
    assert set(originals) == set(held_out[card_schema.id_column])  # every held-out row, nothing else
    assert sent[card_schema.time_column].is_monotonic_increasing
    assert sent[card_schema.time_column].iloc[0] >= pd.Timestamp(start)
    features = card_schema.feature_names
    first = held_out.set_index(card_schema.id_column).loc[originals.iloc[0], features]
    assert first.equals(sent[features].iloc[0].rename(first.name))


@pytest.mark.parametrize("environment", ["local", "dev"])
def test_only_the_local_loop_holds_rows_out_of_training(
    rows, card_schema, tmp_path, monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    """Locally the configured file is split (the loop replays the held-out part); an Azure environment
    trains on the whole file."""
    rows.to_csv(tmp_path / "mine.csv", index=False)
    overrides = tmp_path / "overrides.yml"
    overrides.write_text("data:\n  training_file: mine.csv\n  replay_fraction: 0.25\n")
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(overrides))
    env = load_environment(environment)
    state = tmp_path / "state"
    training = store.prepare(env, state)
    held_out_file = store.data_dir(state) / store.HELD_OUT_FILE
    if environment == "dev":
        assert training.rows == len(rows) and not held_out_file.exists()
        return
    held_out = store.held_out(env, state)
    assert training.rows + len(held_out) == len(rows)
    trained_ids = set(pd.read_parquet(training.path)[card_schema.id_column])
    assert not trained_ids & set(held_out[card_schema.id_column])
    assert store.prepare(env, state).fingerprint == training.fingerprint  # the same split every time
