"""The scoring stand-in for query tests: the endpoint contract with a fixed, documented formula.

Stream Analytics' own test tools cannot call Azure ML functions either (the portal's query test skips
them), so expected outputs of the function-calling steps are written for this stand-in. It knows no
schema: any row of any data schema gets a deterministic score from its values,
    score = round(|sin(sum of the numbers and booleans + sum of the strings' lengths)|, 4)
summed exactly (`math.fsum`, so field order cannot change it). A row with a null or missing-in-value
field gets `score: null` and an `error` naming the field, like the real endpoint.
"""

from __future__ import annotations

import json
import math
from typing import Any

from streaming.engine.functions import FunctionRequest, FunctionResponse

STAND_IN_MODEL_VERSION = "query-test-stand-in"


def _contribution(name: str, value: Any) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        return float(len(value))
    raise TypeError(f"{name}: not a number, boolean or string ({type(value).__name__})")


def stand_in_score(row: dict[str, Any]) -> dict[str, Any]:
    """One result of the endpoint contract for one request row (any schema's columns)."""
    missing = [name for name, value in row.items() if value is None]
    if missing:
        return {"score": None, "error": f"{missing[0]}: missing", "model_version": STAND_IN_MODEL_VERSION}
    try:
        total = math.fsum(_contribution(name, value) for name, value in row.items())
    except TypeError as exc:
        return {"score": None, "error": str(exc), "model_version": STAND_IN_MODEL_VERSION}
    return {"score": round(abs(math.sin(total)), 4), "error": None, "model_version": STAND_IN_MODEL_VERSION}


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
