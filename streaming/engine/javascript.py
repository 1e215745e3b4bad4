"""JavaScript user-defined functions ("JavaScript user-defined functions in Azure Stream Analytics",
MicrosoftDocs/azure-docs articles/stream-analytics/stream-analytics-javascript-user-defined-functions.md).

A project keeps each function as `Functions/<name>.js` (one function definition) beside
`<name>.js.json` (`Name`, `Type` "Scalar", `FunctionInputs`, `OutputType`), listed in asaproj.json with
subType `JSFunction`. `udf.<name>(args...)` may be called anywhere a scalar expression may (SELECT list,
WHERE, ON, GROUP BY keys, aggregate arguments), except an aggregating SELECT list.

All functions of a query run in one long-lived `node` child process (`javascript_host.js`, Node.js 20,
a prerequisite of the repository), started at the first call: one request per call site and batch,
carrying every row's arguments, never one process or one request per row. The type mapping is the page's
conversion table (see the host); the result is then cast to the declared `OutputType` (`any`: kept as
is). A JavaScript exception, a result of an unsupported type or a failed cast raises `ExecutionError`
naming the function, the row (its position in the batch and its arguments) and the error; the page:
"JavaScript runtime errors are considered fatal".

User-defined aggregates ("JavaScript user-defined aggregates in Azure Stream Analytics":
`Type` "Aggregate", called as `uda.<name>(value)` in a SELECT with GROUP BY and a window) keep each open
window's (value, event time) pairs in the engine's window state; when the window closes, one request per
call site carries every closing group: the host builds the aggregate object (`new main()`), calls
`init()`, `accumulate(value, timestamp)` for each event in time order (timestamp as a Date) and
`computeResult()`. `deaccumulate` and `deaccumulateState` (the page's faster path for hopping, sliding
and session windows) are not called: each window is computed from its own events, which gives the same
result for an aggregate whose deaccumulation is correct.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from streaming.engine.errors import EngineError, ExecutionError
from streaming.engine.values import (
    CAST_TYPES,
    format_datetime,
    micros_to_datetime,
    parse_datetime,
    strict_cast,
)

HOST = Path(__file__).with_name("javascript_host.js")
INT64 = 2**63


@dataclass(frozen=True)
class JavaScriptFunction:
    """One JavaScript UDF: its alias (`udf.<name>`), the source of its function, and its output type."""

    name: str
    source: str
    output_type: str = "any"
    inputs: int | None = None
    """How many arguments `FunctionInputs` declares (None: not checked)."""
    origin: str = ""
    """Where the source was read (a file path), for messages."""
    aggregate: bool = False
    """A user-defined aggregate (`Type` "Aggregate", called as `uda.<name>(value)`): its source is a
    constructor setting `this.init`, `this.accumulate(value, timestamp)` and `this.computeResult`."""

    def __post_init__(self) -> None:
        kind = self.output_type.lower()
        if kind != "any" and not any(kind == t or kind.startswith(t + "(") for t in CAST_TYPES):
            raise EngineError(
                f"JavaScript function {self.name}{_at(self.origin)}: OutputType {self.output_type!r} "
                f"is not any or a Stream Analytics type ({', '.join(CAST_TYPES)})"
            )


def _at(origin: str) -> str:
    return f" ({origin})" if origin else ""


def to_wire(value: Any) -> Any:
    """A Stream Analytics value as the host reads it (datetimes and non-finite floats marked)."""
    if isinstance(value, datetime):
        return {"$date": format_datetime(value)[:23] + "Z"}  # JavaScript keeps milliseconds
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, dict):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    return value


def from_wire(value: Any) -> Any:
    """The host's answer as a Stream Analytics value: a round Number within the bigint range is bigint,
    any other Number float (the page's JavaScript-to-Stream Analytics table)."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("$date"), str):
            return parse_datetime(value["$date"])
        if len(value) == 1 and isinstance(value.get("$float"), str):
            return float(value["$float"])
        return {key: from_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -INT64 <= value < INT64:
        return float(value)
    if isinstance(value, float) and value.is_integer() and -INT64 <= value < INT64:
        return int(value)
    return value


class JavaScriptRuntime:
    """The `node` child process running a query's JavaScript functions (started at the first call)."""

    def __init__(self, functions: dict[str, JavaScriptFunction], node: str | None = None) -> None:
        self.functions = functions
        self.node = node
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self.requests = 0

    def _start(self) -> subprocess.Popen[str]:
        node = self.node or shutil.which("node")
        if node is None:
            raise ExecutionError(
                "JavaScript functions need Node.js (`node` on PATH; a prerequisite in the README)"
            )
        process = subprocess.Popen(  # our own host script, no shell
            [node, str(HOST)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._process = process
        weakref.finalize(self, _stop, process)
        for function in self.functions.values():
            answer = self._exchange({"define": function.name, "source": function.source})
            if "error" in answer:
                raise ExecutionError(
                    f"JavaScript function {function.name}{_at(function.origin)} cannot be loaded: "
                    f"{answer['error']}"
                )
        return process

    def _exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(request, allow_nan=False) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            line = ""
            reason = str(exc)
        else:
            reason = "no answer"
        if not line:
            stderr = process.stderr.read() if process.stderr and process.poll() is not None else ""
            self._process = None
            raise ExecutionError(f"the JavaScript host (node) stopped: {reason} {stderr.strip()}".strip())
        answer: dict[str, Any] = json.loads(line)
        return answer

    def call(self, name: str, rows: list[list[Any]], where: str) -> list[Any]:
        """Every row's result of `udf.<name>(*row)`, in one request; `where` places the call site."""
        if not rows:
            return []
        function = self.functions[name]
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            self.requests += 1
            answer = self._exchange({"call": name, "rows": [[to_wire(v) for v in row] for row in rows]})
        if "error" in answer:
            row = answer.get("row")
            if row is None:
                raise ExecutionError(f"JavaScript function udf.{name} ({where}): {answer['error']}")
            raise ExecutionError(
                f"JavaScript function udf.{name} ({where}) failed on row {row} of the batch, arguments "
                f"{json.dumps(rows[row], default=str)[:300]}: {answer['error']}"
            )
        return self._typed(
            function, [from_wire(value) for value in answer["results"]], f"udf.{name} ({where})"
        )

    def aggregate(self, name: str, groups: list[list[Any]], where: str) -> list[Any]:
        """`uda.<name>` over each group's [(value, event time us), ...]; one request for all groups."""
        if not groups:
            return []
        function = self.functions[name]
        wire = [
            [[to_wire(value), to_wire(micros_to_datetime(stamp))] for value, stamp in sorted_pairs(group)]
            for group in groups
        ]
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            self.requests += 1
            answer = self._exchange({"aggregate": name, "groups": wire})
        if "error" in answer:
            row = answer.get("row")
            which = "" if row is None else f" on window group {row} ({len(groups[row])} events)"
            raise ExecutionError(
                f"JavaScript aggregate uda.{name} ({where}) failed{which}: {answer['error']}"
            )
        return self._typed(
            function, [from_wire(value) for value in answer["results"]], f"uda.{name} ({where})"
        )

    def _typed(self, function: JavaScriptFunction, results: list[Any], where: str) -> list[Any]:
        kind = function.output_type.lower()
        if kind == "any":
            return results
        out = []
        for index, value in enumerate(results):
            try:
                out.append(strict_cast(value, kind, f"JavaScript function {where}, row {index}"))
            except ExecutionError as exc:
                raise ExecutionError(f"{exc}; OutputType is {function.output_type}") from exc
        return out

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                _stop(self._process)
                self._process = None


def sorted_pairs(group: list[Any]) -> list[Any]:
    """A window's (value, time) pairs by time; equal times keep their arrival order."""
    return sorted(group, key=lambda pair: pair[1])


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        try:
            if process.stdin is not None:
                process.stdin.close()  # the host ends when its input ends
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
