"""The scoring stand-in for query tests: the endpoint contract with a fixed, documented formula.

Stream Analytics' own test tools cannot call Azure ML functions either (the portal's query test skips
them), so expected outputs of the function-calling steps are written for this stand-in:
    score = round(min(1, 0.05 + amount / 10000 + 0.3 * is_foreign + 0.2 * (not card_present)), 4)
A row missing one of those fields gets `score: null` and an `error`, like the real endpoint.
"""

from __future__ import annotations

import json
from typing import Any

from streaming.engine.functions import FunctionRequest, FunctionResponse

STAND_IN_MODEL_VERSION = "query-test-stand-in"
_FIELDS = ("amount", "is_foreign", "card_present")


def stand_in_score(row: dict[str, Any]) -> dict[str, Any]:
    """One result of the endpoint contract for one request row."""
    missing = [name for name in _FIELDS if row.get(name) is None]
    if missing:
        return {"score": None, "error": f"{missing[0]}: missing", "model_version": STAND_IN_MODEL_VERSION}
    raw = (
        0.05 + float(row["amount"]) / 10000 + 0.3 * bool(row["is_foreign"]) + 0.2 * (not row["card_present"])
    )
    return {"score": round(min(1.0, raw), 4), "error": None, "model_version": STAND_IN_MODEL_VERSION}


class StandInScoringTransport:
    """A `Transport` answering `{"Inputs": {"data": [...]}}` with `{"Results": [...]}` in process."""

    def __init__(
        self, input_request_name: str = "Inputs", input_name: str = "data", output_name: str = "Results"
    ):
        self.input_request_name = input_request_name
        self.input_name = input_name
        self.output_name = output_name
        self.requests = 0

    def send(self, request: FunctionRequest) -> FunctionResponse:
        self.requests += 1
        try:
            rows = json.loads(request.body)[self.input_request_name][self.input_name]
        except (ValueError, KeyError, TypeError):
            return FunctionResponse(400, b'{"error": "not a batch"}')
        body = {self.output_name: [stand_in_score(row) for row in rows]}
        return FunctionResponse(200, json.dumps(body).encode())
