"""The data schema as score.py sees it: read from `data_schema.json` inside the model directory.

The model is saved with the schema it was trained on, so the endpoint validates requests against the
model's own contract. Plain dataclasses and the standard library only: this runs inside the deployed
code folder, where the `environments` package is not available.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.scoring.errors import ScoringConfigError

SCHEMA_FILE = "data_schema.json"
NUMERIC_TYPES = ("float", "integer", "count")
FEATURE_TYPES = (*NUMERIC_TYPES, "boolean", "category")


@dataclass(frozen=True)
class ScoringFeature:
    """One model input column with its type and allowed values."""

    name: str
    type: str
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] = ()

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def is_integral(self) -> bool:
        return self.type in ("integer", "count")


@dataclass(frozen=True)
class ScoringSchema:
    """Feature columns in model order, plus the id column echoed into the inference log."""

    name: str
    id_column: str
    features: tuple[ScoringFeature, ...]

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def sample_row(self) -> dict[str, Any]:
        """One valid record, for the swagger example and smoke tests."""
        row: dict[str, Any] = {}
        for feature in self.features:
            if feature.type == "category":
                row[feature.name] = feature.categories[0]
            elif feature.type == "boolean":
                row[feature.name] = True
            elif feature.is_integral:
                row[feature.name] = int(feature.min or 0)
            else:
                row[feature.name] = float(
                    (feature.min or 0.0) + ((feature.max or 0.0) - (feature.min or 0.0)) / 100
                )
        row[self.id_column] = "sample-0"
        return row


def schema_from_dict(raw: dict[str, Any], source: str) -> ScoringSchema:
    """Build the schema from the JSON form of `environments.data_schema.DataSchema`."""
    try:
        features = tuple(
            ScoringFeature(
                name=str(item["name"]),
                type=str(item["type"]),
                min=item.get("min"),
                max=item.get("max"),
                categories=tuple(item.get("categories") or ()),
            )
            for item in raw["features"]
        )
        schema = ScoringSchema(name=str(raw["name"]), id_column=str(raw["id_column"]), features=features)
    except (KeyError, TypeError) as exc:
        raise ScoringConfigError(f"{source}: not a data schema: missing or malformed {exc}") from exc
    for feature in schema.features:
        if feature.type not in FEATURE_TYPES:
            raise ScoringConfigError(f"{source}: feature {feature.name}: unknown type {feature.type!r}")
        if feature.type == "category" and not feature.categories:
            raise ScoringConfigError(f"{source}: feature {feature.name}: category without categories")
    return schema


def load_scoring_schema(model_dir: Path) -> ScoringSchema:
    """Read `data_schema.json` from an MLflow model directory."""
    path = model_dir / SCHEMA_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScoringConfigError(f"{path}: cannot read the model's data schema: {exc}") from exc
    return schema_from_dict(raw, str(path))
