"""The synthetic generator: reproducible, inside the schema, learnable, and drifting only where a scenario says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from environments.data_schema import DataSchema
from ml.data.generator import SCENARIOS, UNSEEN_CATEGORY, generate

ROWS = 3000


def test_same_seed_same_frame_and_other_seed_differs(card_schema: DataSchema) -> None:
    first = generate(card_schema, ROWS, seed=11)
    pd.testing.assert_frame_equal(first, generate(card_schema, ROWS, seed=11))
    assert not first["amount"].equals(generate(card_schema, ROWS, seed=12)["amount"])


def test_columns_types_and_ranges_follow_the_schema(card_schema: DataSchema) -> None:
    frame = generate(card_schema, ROWS, seed=3)
    assert list(frame.columns) == [
        card_schema.id_column,
        card_schema.time_column,
        *card_schema.feature_names,
        card_schema.label,
    ]
    assert frame[card_schema.id_column].is_unique
    assert frame[card_schema.time_column].is_monotonic_increasing
    assert not frame.isna().any().any()
    for feature in card_schema.features:
        column = frame[feature.name]
        if feature.type == "category":
            assert set(column) <= set(feature.categories or ()), feature.name
            assert column.nunique() == len(feature.categories or ()), (
                f"{feature.name}: every category appears"
            )
        elif feature.type == "boolean":
            assert column.dtype == "boolean"
            assert 0 < column.mean() < 1, feature.name
        else:
            assert column.min() >= feature.min and column.max() <= feature.max, feature.name
            assert column.nunique() > 5, feature.name
    assert 0.01 < frame[card_schema.label].mean() < 0.15


def test_amounts_are_right_skewed(card_schema: DataSchema) -> None:
    amount = generate(card_schema, ROWS, seed=5)["amount"]
    assert amount.mean() > amount.median() * 1.2


def test_label_depends_on_the_features(card_schema: DataSchema) -> None:
    frame = generate(card_schema, 20000, seed=5)
    foreign = frame[frame["is_foreign"]][card_schema.label].mean()
    domestic = frame[~frame["is_foreign"]][card_schema.label].mean()
    assert foreign > 2 * domestic


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_changes_exactly_the_features_it_names(card_schema: DataSchema, name: str) -> None:
    scenario = SCENARIOS[name]
    baseline = generate(card_schema, ROWS, seed=21)
    drifted = generate(card_schema, ROWS, seed=21, scenario=name)
    for feature in card_schema.feature_names:
        same = baseline[feature].equals(drifted[feature])
        assert same is (feature not in scenario.affects), f"{name}: {feature}"
    assert baseline[card_schema.time_column].equals(drifted[card_schema.time_column])


def test_scenario_effects(card_schema: DataSchema) -> None:
    base = generate(card_schema, ROWS, seed=8)
    inflated = generate(card_schema, ROWS, seed=8, scenario="amount_inflation")
    assert inflated["amount"].median() > 1.5 * base["amount"].median()
    shifted = generate(card_schema, ROWS, seed=8, scenario="category_mix_shift")
    base_mix = base["merchant_category"].value_counts(normalize=True)
    new_mix = shifted["merchant_category"].value_counts(normalize=True).reindex(base_mix.index)
    assert (new_mix - base_mix).abs().sum() > 0.3
    unseen = generate(card_schema, ROWS, seed=8, scenario="unseen_category")
    assert 0.15 < (unseen["merchant_category"] == UNSEEN_CATEGORY).mean() < 0.35
    missing = generate(card_schema, ROWS, seed=8, scenario="missing_values_surge")
    rates = missing.isna().mean()
    for feature in SCENARIOS["missing_values_surge"].affects:
        assert 0.25 < rates[feature] < 0.45, feature
    assert rates.drop(list(SCENARIOS["missing_values_surge"].affects)).eq(0).all()


def test_custom_schema_features_get_generic_draws() -> None:
    schema = DataSchema.model_validate(
        {
            "name": "other",
            "id_column": "id",
            "time_column": "ts",
            "label": "y",
            "features": [
                {"name": "weight", "type": "float", "min": 1, "max": 9},
                {"name": "visits", "type": "count", "min": 0, "max": 40},
                {"name": "level", "type": "integer", "min": 2, "max": 4},
                {"name": "vip", "type": "boolean"},
                {"name": "tier", "type": "category", "categories": ["a", "b"]},
            ],
        }
    )
    frame = generate(schema, 500, seed=1)
    assert frame["weight"].between(1, 9).all()
    assert set(np.unique(frame["level"])) == {2, 3, 4}
    assert set(frame["tier"]) == {"a", "b"}
    with pytest.raises(ValueError, match="needs features missing"):
        generate(schema, 10, seed=1, scenario="amount_inflation")


def test_unknown_scenario_and_bad_row_count_are_refused(card_schema: DataSchema) -> None:
    with pytest.raises(ValueError, match=r"unknown drift scenario 'nope'.*amount_inflation"):
        generate(card_schema, 10, seed=1, scenario="nope")
    with pytest.raises(ValueError, match="rows must be positive"):
        generate(card_schema, 0, seed=1)
