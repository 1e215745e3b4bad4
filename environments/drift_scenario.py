"""Drift scenarios of the local loop, defined from the data schema (pure: the model and its check).

An environment chooses one in `loop.drift_scenario` (or `deploy local --drift-scenario '<YAML>'` chooses
it for one run), for example `{kind: shift, feature: amount, sd: 3}`:

- `shift`:    a numeric feature moves by `sd` standard deviations (of the rows it is applied to);
- `scale`:    a numeric feature is multiplied by `factor`;
- `reweight`: a category feature's categories are redrawn with their frequencies times `weights`
              (a category not listed keeps weight 1);
- `nulls`:    `rate` of the rows lose the feature's value (an upstream outage).

Shifted and scaled values are clipped to the schema's range (rounded for whole-number types), so every
drifted row still passes the query's checks and is scored. `check_scenario` refuses a scenario the schema
cannot carry with one line naming the feature and what is wrong; `ml.data.scenario` applies it.
"""

from __future__ import annotations

from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from environments.data_schema import DataSchema
from environments.errors import ConfigError


class _Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    feature: str

    def describe(self) -> str:
        raise NotImplementedError


class ShiftScenario(_Scenario):
    kind: Literal["shift"]
    sd: float = Field(description="Standard deviations to add (negative moves down).")

    def describe(self) -> str:
        return f"{self.feature} shifted by {self.sd:g} sd"


class ScaleScenario(_Scenario):
    kind: Literal["scale"]
    factor: float = Field(gt=0, description="Multiplier of every value.")

    def describe(self) -> str:
        return f"{self.feature} scaled by {self.factor:g}"


class ReweightScenario(_Scenario):
    kind: Literal["reweight"]
    weights: dict[str, float] = Field(min_length=1, description="Category -> weight (others: 1).")

    def describe(self) -> str:
        weights = ", ".join(f"{name} x{weight:g}" for name, weight in self.weights.items())
        return f"{self.feature} categories re-weighted ({weights})"


class NullsScenario(_Scenario):
    kind: Literal["nulls"]
    rate: float = Field(gt=0, le=1, description="Fraction of rows whose value becomes null.")

    def describe(self) -> str:
        return f"{self.feature} null in {self.rate:.0%} of rows"


DriftScenario = Annotated[
    ShiftScenario | ScaleScenario | ReweightScenario | NullsScenario, Field(discriminator="kind")
]
KINDS = ("shift", "scale", "reweight", "nulls")
_ADAPTER: TypeAdapter[DriftScenario] = TypeAdapter(DriftScenario)


def parse_scenario(text: str, where: str = "--drift-scenario") -> DriftScenario:
    """A scenario given as YAML or JSON text (a command-line flag); problems name `where` and the key."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(where, [f"{where}: not YAML/JSON: {exc}"]) from exc
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        lines = [f"{where}: {'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(where, lines) from exc


def scenario_problem(scenario: DriftScenario, schema: DataSchema) -> str | None:
    """What makes `scenario` impossible on `schema`, in one line naming the feature; None if nothing."""
    label = f"drift scenario {scenario.kind}: feature {scenario.feature!r}"
    if scenario.feature not in schema.feature_names:
        return f"{label} is not in schema {schema.name} (features: {', '.join(schema.feature_names)})"
    feature = schema.feature(scenario.feature)
    if scenario.kind in ("shift", "scale") and not feature.is_numeric:
        return f"{label} is {feature.type}; {scenario.kind} needs a numeric feature (float, integer, count)"
    if isinstance(scenario, ReweightScenario):
        if feature.type != "category":
            return f"{label} is {feature.type}; reweight needs a category feature"
        unknown = sorted(set(scenario.weights) - set(feature.categories or ()))
        if unknown:
            known = ", ".join(feature.categories or ())
            return f"{label}: unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)} (known: {known})"
        if any(weight < 0 for weight in scenario.weights.values()):
            return f"{label}: weights must not be negative"
    return None


def check_scenario(scenario: DriftScenario, schema: DataSchema, where: str) -> None:
    """Raise `ConfigError` (one line, naming `where`, the feature and the reason) if the schema cannot
    carry the scenario."""
    problem = scenario_problem(scenario, schema)
    if problem:
        raise ConfigError(where, [f"{where}: {problem}"])
