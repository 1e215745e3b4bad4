"""Apply a schema-defined drift scenario (`environments.drift_scenario`) to a table of rows.

Only the scenario's feature changes; every other column, the ids, times and labels stay as they were.
Random choices (which rows lose their value, the redrawn categories) come from `seed`, so the same rows
drift the same way on every run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from environments.data_schema import DataSchema, Feature
from environments.drift_scenario import (
    DriftScenario,
    NullsScenario,
    ReweightScenario,
    ScaleScenario,
    ShiftScenario,
    scenario_problem,
)


def _numeric_result(values: np.ndarray, feature: Feature) -> np.ndarray:
    """Clipped to the schema's range, whole numbers for integer and count features."""
    clipped = np.clip(values, feature.min, feature.max)
    return np.round(clipped) if feature.type in ("integer", "count") else clipped


def apply_scenario(
    frame: pd.DataFrame, scenario: DriftScenario, schema: DataSchema, seed: int
) -> pd.DataFrame:
    """A copy of `frame` with the scenario applied to its feature; raises ValueError when the schema cannot
    carry the scenario (the plan checks it first: `environments.drift_scenario.check_scenario`)."""
    problem = scenario_problem(scenario, schema)
    if problem:
        raise ValueError(problem)
    feature = schema.feature(scenario.feature)
    rng = np.random.default_rng(np.random.SeedSequence([seed, *(ord(c) for c in scenario.feature)]))
    out = frame.copy()
    column = out[feature.name]
    if isinstance(scenario, ShiftScenario | ScaleScenario):
        values = pd.to_numeric(column, errors="raise").astype("Float64").to_numpy(np.float64, na_value=np.nan)
        if isinstance(scenario, ShiftScenario):
            spread = float(np.nanstd(values)) if np.isfinite(values).any() else 0.0
            changed = values + scenario.sd * spread
        else:
            changed = values * scenario.factor
        result = pd.Series(_numeric_result(changed, feature), index=out.index)
        out[feature.name] = result.astype(column.dtype) if feature.type != "float" else result
    elif isinstance(scenario, ReweightScenario):
        out[feature.name] = _reweighted(column, scenario, feature, rng)
    elif isinstance(scenario, NullsScenario):
        hit = rng.random(len(out)) < scenario.rate
        out[feature.name] = column.mask(pd.Series(hit, index=out.index))
    return out


def _reweighted(
    column: pd.Series, scenario: ReweightScenario, feature: Feature, rng: np.random.Generator
) -> pd.Series:
    """Present values redrawn from (observed frequency x weight); a category never observed gets a small
    share before weighting so that a weight on it can bring it in. Missing values stay missing."""
    categories = list(feature.categories or ())
    present = column.notna().to_numpy()
    counts = column[present].value_counts()
    observed = np.array([counts.get(c, 0) for c in categories], dtype=float) + 0.5
    weights = np.array([scenario.weights.get(c, 1.0) for c in categories], dtype=float)
    p = observed * weights
    if p.sum() <= 0:
        raise ValueError(f"drift scenario reweight: feature {feature.name!r}: every weight is 0")
    drawn = rng.choice(np.array(categories, dtype=object), size=int(present.sum()), p=p / p.sum())
    out = column.astype(object).copy()
    out[present] = drawn
    return out
