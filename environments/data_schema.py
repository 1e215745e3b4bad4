"""The data contract shared by every domain: feature names, types and ranges of the scored records.

An environment names its schema file (`data.schema_file`: absolute, or relative to the folder of the
environment file that sets it); the default is `environments/schemas/card-transactions.yml`. Users point it
at their own schema to score their own data (docs/own-data.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from environments.errors import ConfigError
from environments.unique_keys import load_yaml

FeatureType = Literal["float", "integer", "count", "boolean", "category"]


class Feature(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: FeatureType
    description: str = ""
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Feature:
        if self.type == "category" and not self.categories:
            raise ValueError(f"feature {self.name}: type category needs 'categories'")
        if self.type != "category" and self.categories is not None:
            raise ValueError(f"feature {self.name}: only category features have 'categories'")
        if self.type in ("float", "integer", "count") and (self.min is None or self.max is None):
            raise ValueError(f"feature {self.name}: numeric features need 'min' and 'max'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"feature {self.name}: min {self.min} is above max {self.max}")
        return self

    @property
    def is_numeric(self) -> bool:
        return self.type in ("float", "integer", "count")

    @property
    def bounds(self) -> tuple[float, float]:
        """(min, max) of a numeric feature (the validator makes both present for those)."""
        if self.min is None or self.max is None:
            raise ValueError(f"feature {self.name}: a {self.type} feature has no min/max")
        return self.min, self.max


class DataSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    id_column: str
    time_column: str
    label: str
    features: tuple[Feature, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> DataSchema:
        names = [f.name for f in self.features] + [self.id_column, self.time_column, self.label]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"column names used twice: {', '.join(duplicates)}")
        return self

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def feature(self, name: str) -> Feature:
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)

    def category_problem(self, name: str) -> str | None:
        """Why `name` is not a category feature of this schema (None when it is), for a setting that
        needs one: the known category features are named."""
        known = ", ".join(f.name for f in self.features if f.type == "category") or "none"
        found = next((f for f in self.features if f.name == name), None)
        if found is None:
            return f"{name!r} is not a feature of schema {self.name} (category features: {known})"
        if found.type != "category":
            return f"{name!r} is a {found.type} feature of schema {self.name}, not a category (category features: {known})"
        return None


def load_data_schema(path: Path) -> DataSchema:
    """Read and validate a schema file; problems name the file and the key."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), [f"{path}: cannot read: {exc}"]) from exc
    try:
        return DataSchema.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}: {_where(e['loc'], raw)}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(str(path), lines) from exc


def _where(loc: tuple[int | str, ...], raw: object) -> str:
    """A problem's key path, naming a feature by its name rather than its index in the list."""
    parts = [str(part) for part in loc]
    if len(loc) >= 2 and loc[0] == "features" and isinstance(loc[1], int) and isinstance(raw, dict):
        features = raw.get("features")
        entry = features[loc[1]] if isinstance(features, list) and loc[1] < len(features) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        parts[:2] = [f"feature {name}" if isinstance(name, str) else f"features[{loc[1]}]"]
    return ".".join(parts) or "(root)"
