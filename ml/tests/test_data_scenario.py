"""Schema-defined drift scenarios change exactly their feature, the way their definition says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from environments.data_schema import DataSchema
from environments.drift_scenario import parse_scenario
from ml.data.generator import generate
from ml.data.scenario import apply_scenario

ROWS = 4000


@pytest.fixture(scope="module")
def rows(card_schema: DataSchema) -> pd.DataFrame:
    return generate(card_schema, ROWS, seed=5)


def _others_unchanged(before: pd.DataFrame, after: pd.DataFrame, feature: str) -> None:
    rest = [c for c in before.columns if c != feature]
    pd.testing.assert_frame_equal(before[rest], after[rest])


def test_shift_moves_a_numeric_feature_by_k_standard_deviations(rows, card_schema) -> None:
    after = apply_scenario(
        rows, parse_scenario("{kind: shift, feature: customer_age, sd: 1}"), card_schema, 1
    )
    before_age = rows["customer_age"].astype(float)
    moved = after["customer_age"].astype(float) - before_age
    assert moved.mean() == pytest.approx(before_age.std(ddof=0), rel=0.1)  # clipped at max 100 for a few
    assert after["customer_age"].max() <= 100 and str(after["customer_age"].dtype) == "Int64"
    _others_unchanged(rows, after, "customer_age")


def test_scale_multiplies_and_clips_to_the_schema_range(rows, card_schema) -> None:
    after = apply_scenario(
        rows, parse_scenario("{kind: scale, feature: amount, factor: 1.8}"), card_schema, 1
    )
    small = rows["amount"] < 1000
    assert np.allclose(after.loc[small, "amount"], rows.loc[small, "amount"] * 1.8)
    assert after["amount"].max() <= card_schema.feature("amount").max
    _others_unchanged(rows, after, "amount")


def test_reweight_changes_the_category_mix(rows, card_schema) -> None:
    scenario = parse_scenario("{kind: reweight, feature: channel, weights: {atm: 8}}")
    after = apply_scenario(rows, scenario, card_schema, 1)
    before_share, after_share = (frame["channel"].eq("atm").mean() for frame in (rows, after))
    assert after_share > 3 * before_share
    assert set(after["channel"].dropna()) <= set(card_schema.feature("channel").categories)
    _others_unchanged(rows, after, "channel")


def test_nulls_raise_the_null_rate(rows, card_schema) -> None:
    after = apply_scenario(
        rows, parse_scenario("{kind: nulls, feature: is_foreign, rate: 0.4}"), card_schema, 1
    )
    assert after["is_foreign"].isna().mean() == pytest.approx(0.4, abs=0.03)
    assert rows["is_foreign"].isna().sum() == 0
    _others_unchanged(rows, after, "is_foreign")


def test_the_same_seed_drifts_the_same_rows(rows, card_schema) -> None:
    scenario = parse_scenario("{kind: nulls, feature: channel, rate: 0.2}")
    first, second = (apply_scenario(rows, scenario, card_schema, 9) for _ in range(2))
    pd.testing.assert_frame_equal(first, second)


def test_a_scenario_the_schema_cannot_carry_is_refused(rows, card_schema) -> None:
    with pytest.raises(ValueError, match="feature 'mean_radius' is not in schema"):
        apply_scenario(rows, parse_scenario("{kind: shift, feature: mean_radius, sd: 2}"), card_schema, 1)


def test_generated_rows_are_labelled_after_the_drift(card_schema) -> None:
    """The demo's labels follow its known function of the drifted values (higher amounts, more fraud)."""
    scenario = parse_scenario("{kind: scale, feature: amount, factor: 1.8}")
    plain, drifted = generate(card_schema, ROWS, seed=6), generate(card_schema, ROWS, seed=6, drift=scenario)
    small = plain["amount"] < 1000
    assert np.allclose(drifted.loc[small, "amount"], plain.loc[small, "amount"] * 1.8)
    assert drifted[card_schema.label].mean() > plain[card_schema.label].mean()
