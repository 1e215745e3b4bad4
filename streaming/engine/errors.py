"""The engine's exception tree; every error that comes from the query text carries line and column.

EngineError
├── QueryError                 the query text, with line and column
│   ├── TokenizeError          a character or literal the tokenizer cannot read
│   ├── ParseError             text that is not Stream Analytics SQL
│   └── PlanError              valid syntax outside the supported subset, unknown names, bad windows
├── ExecutionError             a runtime failure (a CAST that cannot convert, a bad TIMESTAMP BY value)
├── FunctionCallError          the Azure ML function failed the job (400, 401, 404, 409, bad reply)
└── StateError                 a snapshot that does not fit the plan
"""

from __future__ import annotations

from streaming.errors import StreamingError


class EngineError(StreamingError):
    """Root of every error raised by `streaming.engine`."""


class QueryError(EngineError):
    """An error located in the query text."""

    stage = "query"

    def __init__(self, message: str, line: int, column: int) -> None:
        self.message = message
        self.line = line
        self.column = column
        super().__init__(f"{self.stage} error at line {line}, column {column}: {message}")


class TokenizeError(QueryError):
    stage = "tokenize"


class ParseError(QueryError):
    stage = "parse"


class PlanError(QueryError):
    stage = "plan"


class ExecutionError(EngineError):
    """A failure while running a step; names the step and, where known, the expression's position."""


class FunctionCallError(EngineError):
    """The function endpoint answered in a way that fails the job (as the service does)."""

    def __init__(self, function: str, message: str, status_code: int | None = None) -> None:
        self.function = function
        self.status_code = status_code
        super().__init__(f"function udf.{function}: {message}")


class StateError(EngineError):
    """A snapshot that cannot be restored into this plan."""
