"""Inference records (one per row) for `monitoring.telemetry.log_inferences`; built only when it is on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ml.scoring.feature_schema import ScoringSchema
from ml.scoring.scorer import ScoredBatch
from ml.scoring.settings import ScoringSettings


def inference_records(
    rows: Sequence[Any],
    scored: ScoredBatch,
    schema: ScoringSchema,
    settings: ScoringSettings,
    request_id: str,
    latency_ms: float,
    now: datetime | None = None,
    probe: str | None = None,
) -> list[dict[str, Any]]:
    """One record per row. The row's id (`transaction_id`) is its request id when present, so a row
    retried by Stream Analytics keeps its id; otherwise `<HTTP request id>/<row index>`. `probe` is the
    batch's probe kind (`ml.scoring.probe`), recorded on every row of a probe batch only."""
    time = (now or datetime.now(UTC)).isoformat()
    names = schema.feature_names
    id_column = schema.id_column
    records = []
    for index, (row, score, error) in enumerate(zip(rows, scored.score_values(), scored.errors, strict=True)):
        fields = row if isinstance(row, dict) else {}
        row_id = fields.get(id_column)
        record: dict[str, Any] = {
            "request_id": row_id if isinstance(row_id, str) and row_id else f"{request_id}/{index}",
            "time": time,
            "model_name": settings.model_name,
            "model_version": settings.model_version,
            "deployment": settings.deployment,
            "features": {name: fields.get(name) for name in names},
            "score": score,
            "error": error,
            "latency_ms": latency_ms,
        }
        if probe is not None:
            record["probe"] = probe
        records.append(record)
    return records
