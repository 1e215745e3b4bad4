"""The smoke test of a new deployment: a Stream Analytics-shaped batch with one bad row (pure logic).

The batch is marked as probe traffic (`ml.scoring.probe`): score.py logs its rows with `probe: smoke`,
and the export and drift leave them out, so a rollout never changes the next drift window."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from environments.data_schema import DataSchema
from ml.scoring.probe import SMOKE_PROBE, mark_probe
from ml.serving.batches import request_body, stream_batch
from ml.serving.errors import SmokeTestError

SMOKE_SEED = 4242


@dataclass(frozen=True)
class SmokeBatch:
    """The request body and which of its rows is broken on purpose."""

    body: dict[str, Any]
    bad_index: int
    bad_field: str

    @property
    def size(self) -> int:
        return len(self.body["Inputs"]["data"])


def smoke_batch(schema: DataSchema, size: int, seed: int = SMOKE_SEED) -> SmokeBatch:
    """`size` generated rows, the middle one missing its first feature (it must come back flagged)."""
    rows = stream_batch(schema, size, seed)
    bad_index = size // 2
    field = schema.features[0].name
    rows[bad_index] = {key: value for key, value in rows[bad_index].items() if key != field}
    return SmokeBatch(body=mark_probe(request_body(rows), SMOKE_PROBE), bad_index=bad_index, bad_field=field)


def check_smoke(batch: SmokeBatch, status: int, answer: Any, model_version: str) -> None:
    """Raise SmokeTestError unless the answer is 200 with one scored result per good row, in order,
    the bad row flagged with an error naming its field, and every row from `model_version`."""
    if status != 200:
        raise SmokeTestError(f"smoke test: HTTP {status} instead of 200: {str(answer)[:300]}")
    results = answer.get("Results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or len(results) != batch.size:
        got = len(results) if isinstance(results, list) else type(results).__name__
        raise SmokeTestError(f"smoke test: expected {batch.size} results, got {got}")
    problems = []
    for index, result in enumerate(results):
        if not isinstance(result, dict):
            problems.append(f"row {index}: result is not an object")
            continue
        if str(result.get("model_version")) != model_version:
            problems.append(
                f"row {index}: model_version {result.get('model_version')!r}, expected {model_version!r}"
            )
        score, error = result.get("score"), result.get("error")
        if index == batch.bad_index:
            if score is not None or not (isinstance(error, str) and batch.bad_field in error):
                problems.append(
                    f"row {index} (broken on purpose): not flagged, got score={score!r} error={error!r}"
                )
        elif (
            not (isinstance(score, float) and math.isfinite(score) and 0.0 <= score <= 1.0)
            or error is not None
        ):
            problems.append(f"row {index}: expected a probability, got score={score!r} error={error!r}")
    if problems:
        raise SmokeTestError("smoke test failed: " + "; ".join(problems[:5]))
