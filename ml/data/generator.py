"""Seeded synthetic card transactions for a data schema, with named drift scenarios.

Every feature of the default schema has its own realistic distribution (lognormal amounts, a skewed
category mix, correlated channel and card-present flags, Poisson counts); a feature of a user's schema
that the generator does not know gets a generic draw from its type and range. Each feature draws from
its own child of the seed, so a scenario that changes one feature leaves every other column identical
to the baseline drawn with the same seed.

The label is a known function of the features (a logistic model with noise, see `fraud_logit`), so a
trained model has something real to find and a drifted stream changes the scores in a predictable way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from environments.data_schema import DataSchema, Feature
from environments.drift_scenario import DriftScenario
from ml.data.scenario import apply_scenario

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
MEAN_SECONDS_BETWEEN_EVENTS = 2.0

_CATEGORY_WEIGHTS = {
    "grocery": 0.27,
    "fuel": 0.12,
    "restaurant": 0.17,
    "travel": 0.05,
    "electronics": 0.06,
    "online_retail": 0.18,
    "entertainment": 0.08,
    "health": 0.07,
}
_RISKY_CATEGORIES = {"electronics": 0.9, "online_retail": 0.6, "travel": 0.5}
_CHANNEL_WEIGHTS = {"pos": 0.55, "online": 0.28, "atm": 0.07, "mobile": 0.10}
_CARD_PRESENT_BY_CHANNEL = {"pos": 0.97, "atm": 0.99, "online": 0.02, "mobile": 0.10}
# Relative frequency of transactions per local hour: quiet nights, busy afternoons.
_HOUR_WEIGHTS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 6,
     6.5, 6, 5.5, 5.5, 6, 6.5, 6.5, 5.5, 4.5, 3.5, 2.5, 1.6]
)  # fmt: skip


class _Draw:
    """Random draws for one table: one independent generator per column name."""

    def __init__(self, seed: int) -> None:
        self._seed = seed

    def rng(self, column: str) -> np.random.Generator:
        key = [ord(c) for c in column]
        return np.random.default_rng(np.random.SeedSequence([self._seed, *key]))


def _clip(values: np.ndarray, feature: Feature) -> np.ndarray:
    return np.clip(values, feature.min, feature.max)


def _categorical(
    rng: np.random.Generator, rows: int, weights: dict[str, float], feature: Feature
) -> np.ndarray:
    categories = list(feature.categories or ())
    p = np.array([weights.get(c, 1.0 / len(categories)) for c in categories], dtype=float)
    return rng.choice(np.array(categories, dtype=object), size=rows, p=p / p.sum())


def _generic(feature: Feature, rng: np.random.Generator, rows: int) -> np.ndarray:
    """A plausible draw for a feature the generator has no specific model of."""
    if feature.type == "category":
        return _categorical(rng, rows, {}, feature)
    if feature.type == "boolean":
        return rng.random(rows) < 0.3
    low, high = float(feature.min or 0.0), float(feature.max or 0.0)
    if feature.type == "float":
        return np.clip(low + rng.gamma(2.0, (high - low) / 20.0, rows), low, high)
    if feature.type == "count":
        mean = max(1.0, (high - low) / 20.0)
        return np.clip(low + rng.poisson(mean, rows), low, high).astype(np.int64)
    return rng.integers(int(low), int(high) + 1, rows)


def _sample_feature(feature: Feature, draw: _Draw, rows: int, channel: np.ndarray | None) -> np.ndarray:
    """Draw one column: known card-transaction features get their own distribution."""
    rng = draw.rng(feature.name)
    match feature.name:
        case "amount":
            return np.round(_clip(rng.lognormal(3.4, 1.05, rows), feature), 2)
        case "avg_amount_30d":
            return np.round(_clip(rng.lognormal(3.6, 0.55, rows), feature), 2)
        case "merchant_category" if feature.type == "category":
            return _categorical(rng, rows, _CATEGORY_WEIGHTS, feature)
        case "channel" if feature.type == "category":
            return _categorical(rng, rows, _CHANNEL_WEIGHTS, feature)
        case "card_present" if channel is not None:
            p = np.array([_CARD_PRESENT_BY_CHANNEL.get(c, 0.5) for c in channel])
            return rng.random(rows) < p
        case "is_foreign":
            return rng.random(rows) < 0.07
        case "hour_of_day":
            return rng.choice(24, size=rows, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()).astype(np.int64)
        case "customer_age":
            return np.round(_clip(rng.normal(44, 15, rows), feature)).astype(np.int64)
        case "account_age_days":
            return np.round(_clip(rng.exponential(1400, rows), feature)).astype(np.int64)
        case "txn_count_24h":
            return _clip(rng.poisson(rng.gamma(2.0, 1.4, rows)), feature).astype(np.int64)
        case "distance_from_home_km":
            return np.round(_clip(rng.lognormal(1.8, 1.3, rows), feature), 2)
    return _generic(feature, rng, rows)


def _column(frame: pd.DataFrame, name: str, default: float = 0.0) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), default)
    return frame[name].to_numpy(dtype=float, na_value=default)


def fraud_logit(frame: pd.DataFrame) -> np.ndarray:
    """The known log-odds of fraud: unusual amount, foreign, card not present, night, bursts, new accounts."""
    amount = _column(frame, "amount", 30.0)
    average = _column(frame, "avg_amount_30d", 30.0)
    ratio = np.log1p(amount) - np.log1p(average)
    night = np.isin(_column(frame, "hour_of_day", 12.0), (0, 1, 2, 3, 4, 5)).astype(float)
    not_present = 1.0 - _column(frame, "card_present", 1.0)
    category = frame["merchant_category"] if "merchant_category" in frame else pd.Series([""] * len(frame))
    risky = category.map(_RISKY_CATEGORIES).fillna(0.0).to_numpy(dtype=float)
    return (
        -5.6
        + 1.3 * ratio
        + 1.4 * _column(frame, "is_foreign")
        + 1.1 * not_present
        + 1.0 * night
        + 0.22 * _column(frame, "txn_count_24h")
        + risky
        - 0.35 * np.log1p(_column(frame, "account_age_days", 1000.0) / 365.0)
        + 0.25 * np.log1p(_column(frame, "distance_from_home_km"))
    )


@dataclass(frozen=True)
class Scenario:
    """A named drift: which features it changes and how. `after_label` scenarios hide observed values."""

    name: str
    description: str
    affects: tuple[str, ...]
    apply: Callable[[pd.DataFrame, DataSchema, np.random.Generator], pd.DataFrame]
    after_label: bool = False


def _inflate_amount(frame: pd.DataFrame, schema: DataSchema, rng: np.random.Generator) -> pd.DataFrame:
    # avg_amount_30d is a 30-day history, so a sudden price change shows only in `amount`.
    feature = schema.feature("amount")
    frame["amount"] = np.round(_clip(frame["amount"].to_numpy() * 1.8, feature), 2)
    return frame


def _shift_category_mix(frame: pd.DataFrame, schema: DataSchema, rng: np.random.Generator) -> pd.DataFrame:
    feature = schema.feature("merchant_category")
    categories = list(feature.categories or ())
    weights = {c: (1.0 if i % 2 else 0.2) for i, c in enumerate(reversed(categories))}
    frame["merchant_category"] = _categorical(rng, len(frame), weights, feature)
    return frame


UNSEEN_CATEGORY = "crypto_exchange"


def _unseen_category(frame: pd.DataFrame, schema: DataSchema, rng: np.random.Generator) -> pd.DataFrame:
    hit = rng.random(len(frame)) < 0.25
    frame.loc[hit, "merchant_category"] = UNSEEN_CATEGORY
    return frame


_MISSING_FEATURES = ("distance_from_home_km", "customer_age", "channel")


def _missing_values(frame: pd.DataFrame, schema: DataSchema, rng: np.random.Generator) -> pd.DataFrame:
    for name in _MISSING_FEATURES:
        hit = rng.random(len(frame)) < 0.35
        frame.loc[hit, name] = pd.NA
    return frame


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "amount_inflation",
            "Amounts 1.8x higher (prices or fraud ring); the 30-day average lags and is unchanged.",
            ("amount",),
            _inflate_amount,
        ),
        Scenario(
            "category_mix_shift",
            "Merchant categories redrawn from a different mix; nothing else changes.",
            ("merchant_category",),
            _shift_category_mix,
        ),
        Scenario(
            "unseen_category",
            f"A quarter of merchant categories become '{UNSEEN_CATEGORY}', a value outside the schema.",
            ("merchant_category",),
            _unseen_category,
        ),
        Scenario(
            "missing_values_surge",
            "35% nulls in distance_from_home_km, customer_age and channel (an upstream outage).",
            _MISSING_FEATURES,
            _missing_values,
            after_label=True,
        ),
    )
}


def _typed(frame: pd.DataFrame, schema: DataSchema) -> pd.DataFrame:
    """Column dtypes by feature type; nullable so that missing values keep the type."""
    dtypes = {
        "float": "float64",
        "integer": "Int64",
        "count": "Int64",
        "boolean": "boolean",
        "category": "object",
    }
    return frame.astype({f.name: dtypes[f.type] for f in schema.features})


def generate(
    schema: DataSchema,
    rows: int,
    seed: int,
    scenario: str | None = None,
    start: datetime | None = None,
    drift: DriftScenario | None = None,
) -> pd.DataFrame:
    """`rows` labelled transactions (id, time, features, label), reproducible from `seed`. `drift` (a
    schema-defined scenario, `ml.data.scenario`) changes the features before they are labelled, so the
    labels follow the drifted values as the named scenarios' do."""
    if rows < 1:
        raise ValueError(f"rows must be positive, got {rows}")
    if scenario is not None and scenario not in SCENARIOS:
        raise ValueError(f"unknown drift scenario {scenario!r}; known: {', '.join(sorted(SCENARIOS))}")
    draw = _Draw(seed)
    start = start or DEFAULT_START
    offsets = np.cumsum(draw.rng("__time__").exponential(MEAN_SECONDS_BETWEEN_EVENTS, rows))
    ids = draw.rng("__id__").integers(0, 2**63 - 1, rows, dtype=np.int64)
    columns: dict[str, object] = {
        schema.id_column: [f"{v:016x}" for v in ids],
        schema.time_column: (pd.Timestamp(start) + pd.to_timedelta(offsets, unit="s")).floor("ms"),
    }
    channel: np.ndarray | None = None
    ordered = sorted(schema.features, key=lambda f: f.name != "channel")  # card_present depends on channel
    for feature in ordered:
        sampled = _sample_feature(feature, draw, rows, channel)
        columns[feature.name] = sampled
        if feature.name == "channel":
            channel = sampled
    frame = pd.DataFrame(columns)[[schema.id_column, schema.time_column, *schema.feature_names]]
    chosen = SCENARIOS[scenario] if scenario else None
    missing = [name for name in (chosen.affects if chosen else ()) if name not in schema.feature_names]
    if missing:
        raise ValueError(f"scenario {scenario!r} needs features missing from schema {schema.name}: {missing}")
    scenario_rng = draw.rng(f"__scenario__{scenario}")
    if chosen and not chosen.after_label:
        frame = chosen.apply(frame, schema, scenario_rng)
    if drift is not None:
        frame = apply_scenario(frame, drift, schema, seed)
    logit = fraud_logit(frame) + draw.rng("__noise__").normal(0.0, 0.6, rows)
    frame[schema.label] = draw.rng("__label__").random(rows) < 1.0 / (1.0 + np.exp(-logit))
    frame = _typed(frame, schema)
    if chosen and chosen.after_label:
        frame = chosen.apply(frame, schema, scenario_rng)
    return frame
