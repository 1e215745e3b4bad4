"""Score a batch of records: validate columns, one `predict_proba` for the valid rows, results in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ml.scoring.errors import NotABatchError
from ml.scoring.feature_schema import ScoringSchema
from ml.scoring.validation import ValidatedBatch, validate_rows

INPUT_NAME = "data"
"""Name of the row list inside `Inputs` (the Stream Analytics function's input name)."""


@dataclass(frozen=True)
class ScoredBatch:
    """Scores (NaN where a row failed validation) and the validation outcome."""

    scores: np.ndarray
    batch: ValidatedBatch

    @property
    def errors(self) -> list[str | None]:
        return self.batch.errors

    def score_values(self) -> list[float | None]:
        """Scores as JSON-ready values: a float, or None for a row that was not scored."""
        if self.batch.all_valid:
            return self.scores.tolist()
        values = self.scores.astype(object)
        values[~self.batch.valid] = None
        return values.tolist()


def batch_rows(inputs: Any) -> Sequence[Any]:
    """The rows of an `Inputs` value, or NotABatchError when it has no list named `data`."""
    if not isinstance(inputs, dict):
        raise NotABatchError(
            f'"Inputs" must be an object with a "{INPUT_NAME}" list, got {type(inputs).__name__}'
        )
    rows = inputs.get(INPUT_NAME)
    if not isinstance(rows, list):
        got = "nothing" if rows is None else type(rows).__name__
        raise NotABatchError(f'"Inputs.{INPUT_NAME}" must be a list of records, got {got}')
    return rows


class Scorer:
    """A loaded model with its schema; `score` is pure apart from the model call."""

    def __init__(self, model: Any, schema: ScoringSchema, model_version: str) -> None:
        self.model = model
        self.schema = schema
        self.model_version = model_version

    def score(self, rows: Sequence[Any]) -> ScoredBatch:
        batch = validate_rows(rows, self.schema)
        scores = np.full(len(rows), np.nan)
        if len(batch.features):
            probabilities = self.model.predict_proba(batch.features)[:, 1]
            if batch.all_valid:
                scores = np.asarray(probabilities, dtype=np.float64)
            else:
                scores[batch.valid] = probabilities
        return ScoredBatch(scores=scores, batch=batch)

    def results(self, scored: ScoredBatch) -> dict[str, list[dict[str, Any]]]:
        """The response body: `{"Results": [{"score", "error", "model_version"}, ...]}`, one per row."""
        version = self.model_version
        return {
            "Results": [
                {"score": score, "error": error, "model_version": version}
                for score, error in zip(scored.score_values(), scored.errors, strict=True)
            ]
        }
