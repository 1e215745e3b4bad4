"""The local Stream Analytics engine: runs the project's `.asaql` query on batches of events.

    plan = compile_query(text, {"score": FunctionBinding("score", "http://127.0.0.1:8000/score", key)})
    print(plan.explain())
    engine = Engine(plan, EventOrdering(5, 0, "Adjust"), HttpTransport())
    outputs = engine.process("transactions", [InputEvent(payload, arrival_time, partition)])
    outputs += engine.advance(now)          # idle progress of the watermark
    for output, payloads, timestamps_us in outputs: ...   # OutputBatch: one per step and call
    rows = records(outputs)                 # or one OutputRecord per row
    state = engine.snapshot()               # save with the committed offsets; engine.restore(state)

Stages: `tokens` -> `parser` -> `planner` (compiled by `codegen`) -> `executor`; the supported subset and
the semantics are documented in `streaming/engine/README.md`. Errors: see `streaming.engine.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping

from streaming.engine.errors import (
    EngineError,
    ExecutionError,
    FunctionCallError,
    ParseError,
    PlanError,
    QueryError,
    StateError,
    TokenizeError,
)
from streaming.engine.executor import Engine, InputEvent, OutputBatch, OutputRecord, records
from streaming.engine.functions import (
    FunctionBinding,
    FunctionCaller,
    FunctionRequest,
    FunctionResponse,
    HttpTransport,
    TransientTransportError,
    Transport,
)
from streaming.engine.javascript import JavaScriptFunction
from streaming.engine.ordering import EventOrdering
from streaming.engine.parser import parse
from streaming.engine.planner import Plan, plan


def compile_query(
    text: str, functions: Mapping[str, FunctionBinding | JavaScriptFunction] | None = None
) -> Plan:
    """Parse and plan a query; raises a `QueryError` subclass naming line and column. `functions` are
    the `udf.` functions: Azure ML bindings and JavaScript functions (`javascript.py`)."""
    return plan(parse(text), text, functions or {})


__all__ = [
    "Engine",
    "EngineError",
    "EventOrdering",
    "ExecutionError",
    "FunctionBinding",
    "FunctionCallError",
    "FunctionCaller",
    "FunctionRequest",
    "FunctionResponse",
    "HttpTransport",
    "InputEvent",
    "JavaScriptFunction",
    "OutputBatch",
    "OutputRecord",
    "ParseError",
    "Plan",
    "PlanError",
    "QueryError",
    "StateError",
    "TokenizeError",
    "TransientTransportError",
    "Transport",
    "compile_query",
    "records",
]
