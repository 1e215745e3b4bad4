"""A user's file is split by row id into training rows and held-out rows that the loop replays."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from environments.data_schema import DataSchema
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
