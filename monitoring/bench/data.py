"""Synthetic scored transactions for a data schema, with the ML generator's named drift scenarios.

Used by the drift benchmark and (through `monitoring.testing`) by the drift, alert and retraining tests.
It mirrors the scenario -> features mapping documented in `ml/data/generator.py` without importing the
ml domain; each feature draws from its own seeded stream, so a scenario changes only the features it
names. Columns are typed as in the export layout (float64, int64, bool, string) plus `score`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from environments.data_schema import DataSchema

DRIFT_SCENARIOS: dict[str, tuple[str, ...]] = {
    "amount_inflation": ("amount",),
    "category_mix_shift": ("merchant_category",),
    "unseen_category": ("merchant_category",),
    "missing_values_surge": ("distance_from_home_km", "customer_age", "channel"),
}
"""Scenario name -> features it changes (the ML generator's documented mapping)."""


def scored_table(schema: DataSchema, rows: int, seed: int, scenario: str | None = None) -> pa.Table:
    """A pyarrow table of `rows` scored records for `schema` (features + `score`), reproducible from `seed`."""
    if scenario is not None and scenario not in DRIFT_SCENARIOS:
        raise ValueError(f"unknown drift scenario {scenario!r}; known: {', '.join(sorted(DRIFT_SCENARIOS))}")

    def rng(name: str) -> np.random.Generator:
        return np.random.default_rng([seed, *name.encode()])

    columns: dict[str, Any] = {}
    for feature in schema.features:
        r = rng(feature.name)
        if feature.type == "category":
            categories = list(feature.categories or ())
            weights = np.linspace(2.0, 1.0, len(categories))
            if scenario == "category_mix_shift" and feature.name == "merchant_category":
                weights = weights[::-1] ** 3
            codes = r.choice(len(categories), size=rows, p=weights / weights.sum())
            values = pa.array(np.array(categories, dtype=object)[codes], type=pa.string())
            if scenario == "unseen_category" and feature.name == "merchant_category":
                hit = rng("unseen").random(rows) < 0.25
                values = pa.array(
                    np.where(hit, "crypto_exchange", np.array(values.to_pylist(), dtype=object))
                )
            columns[feature.name] = values
        elif feature.type == "boolean":
            columns[feature.name] = pa.array(r.random(rows) < 0.3)
        elif feature.type == "float":
            low, high = feature.bounds
            values = np.clip(r.lognormal(np.log(max(high - low, 1.0) * 0.002), 0.9, rows), low, high)
            if scenario == "amount_inflation" and feature.name == "amount":
                values = np.clip(values * 1.8, low, high)
            columns[feature.name] = pa.array(np.round(values, 2))
        else:
            lo, hi = (int(bound) for bound in feature.bounds)
            center = lo + (hi - lo) * 0.3
            values = np.clip(np.round(r.normal(center, max((hi - lo) / 8, 1.0), rows)), lo, hi).astype(
                np.int64
            )
            columns[feature.name] = pa.array(values)
    if scenario == "missing_values_surge":
        for name in DRIFT_SCENARIOS[scenario]:
            hit = rng(f"missing-{name}").random(rows) < 0.35
            column = columns[name]
            columns[name] = pc.if_else(pa.array(hit), pa.scalar(None, type=column.type), column)
    # A fixed score function of the amount, so prediction drift follows amount drift only.
    amount = np.asarray(columns["amount"].to_numpy(zero_copy_only=False), dtype=float)
    columns["score"] = pa.array(1.0 / (1.0 + np.exp(-(np.log1p(amount) - 4.0))))
    return pa.table(columns)
