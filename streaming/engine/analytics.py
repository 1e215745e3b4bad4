"""Analytic functions LAG, LAST and ISFIRST (the reference pages "LAG", "LAST", "ISFIRST").

Each call site keeps its own history across batches: per PARTITION BY key, the recent events that met
its WHEN condition. Values are computed for every row a step receives, in time order (equal times in
arrival order), before the step's WHERE ("LAG is not affected by predicates in WHERE clause"):
- LAG(x[, offset[, default]]): x of the offset-th previous matching event (offset >= 1, default 1),
  else default (NULL); LAST(x[, default]) is LAG with offset 0, the current event included when it
  matches; both look back LIMIT DURATION: events with time > current time - duration.
- ISFIRST(unit, n): 1 when the event is the first matching one of its partition in its n-unit interval,
  aligned as tumbling windows ((end - size, end]); 0 otherwise, and 0 when the event does not match WHEN.
- COUNT(*), COUNT(x), SUM(x), AVG(x), MIN(x), MAX(x) with OVER ([PARTITION BY ...] LIMIT DURATION(...)
  [WHEN c]) (the aggregate pages' "Analytic Function Syntax"): the aggregate of the matching events of the
  partition within LIMIT DURATION (time > current - duration), the current event included when it
  matches, NULLs skipped as by the window aggregates. Each row aggregates the events kept (cost grows
  with the events within the duration).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streaming.engine.columnar import Batch, to_list, truth
from streaming.engine.errors import ExecutionError
from streaming.engine.windows import WindowSpec

Evaluator = Callable[[Batch], Any]
AGGREGATE_KINDS = frozenset({"count*", "count", "sum", "avg", "min", "max"})


@dataclass(frozen=True)
class AnalyticSpec:
    """One analytic call site, compiled: what it reads, how far back, for which events."""

    kind: str  # "lag", "last", "isfirst", or an aggregate: "count*", "count", "sum", "avg", "min", "max"
    value: Evaluator | None
    offset: int
    default: Evaluator | None
    partition_by: tuple[Evaluator, ...]
    when: Evaluator | None
    span: int
    """LIMIT DURATION (LAG, LAST) or the interval (ISFIRST), microseconds."""
    text: str


class AnalyticState:
    """The history one call site keeps between batches."""

    def __init__(self, spec: AnalyticSpec) -> None:
        self.spec = spec
        self.history: dict[tuple[Any, ...], deque[tuple[int, Any]]] = {}
        self.first_seen: dict[tuple[Any, ...], int] = {}
        self.window = WindowSpec("tumbling", spec.span, spec.span) if spec.kind == "isfirst" else None

    def evaluate(self, batch: Batch) -> list[Any]:
        """The function's value for each row of the batch (rows in time order), updating the history."""
        spec = self.spec
        size = batch.size
        keys: list[tuple[Any, ...]] = (
            list(zip(*(to_list(key(batch), size) for key in spec.partition_by), strict=True))
            if spec.partition_by
            else [()] * size
        )
        matches = truth(spec.when(batch), size, batch.memo).tolist() if spec.when else [True] * size
        try:
            if self.window is not None:
                return self._is_first(batch.times, keys, matches)
            items = to_list(spec.value(batch), size) if spec.value else [None] * size
            if spec.kind in AGGREGATE_KINDS:
                return self._aggregate(batch.times, keys, matches, items)
            defaults = to_list(spec.default(batch), size) if spec.default else [None] * size
            return self._look_back(batch.times, keys, matches, items, defaults)
        except TypeError as exc:  # an unhashable PARTITION BY value (a record or an array)
            raise ExecutionError(f"{spec.text}: PARTITION BY values must be scalars: {exc}") from exc

    def _look_back(
        self,
        times: list[int],
        keys: list[tuple[Any, ...]],
        matches: list[bool],
        items: list[Any],
        defaults: list[Any],
    ) -> list[Any]:
        offset, span = self.spec.offset, self.spec.span
        keep = max(offset, 1)
        results = []
        for time, key, match, item, default in zip(times, keys, matches, items, defaults, strict=True):
            history = self.history.get(key)
            if history is None:
                history = self.history[key] = deque(maxlen=keep)
            horizon = time - span
            while history and history[0][0] <= horizon:
                history.popleft()
            if offset == 0 and match:
                results.append(item)  # LAST: the current event is the most recent one
            elif len(history) >= max(offset, 1):
                results.append(history[-max(offset, 1)][1])
            else:
                results.append(default)
            if match:
                history.append((time, item))
        return results

    def _aggregate(
        self, times: list[int], keys: list[tuple[Any, ...]], matches: list[bool], items: list[Any]
    ) -> list[Any]:
        kind, span = self.spec.kind, self.spec.span
        results = []
        for time, key, match, item in zip(times, keys, matches, items, strict=True):
            history = self.history.get(key)
            if history is None:
                history = self.history[key] = deque()
            horizon = time - span
            while history and history[0][0] <= horizon:
                history.popleft()
            if match:
                history.append((time, item))
            if kind == "count*":
                results.append(len(history))
                continue
            values = [value for _, value in history if value is not None]
            results.append(self._combine(kind, values))
        return results

    def _combine(self, kind: str, values: list[Any]) -> Any:
        if kind == "count":
            return len(values)
        if not values:
            return None
        try:
            if kind == "min":
                return min(values)
            if kind == "max":
                return max(values)
        except TypeError as exc:
            raise ExecutionError(f"{self.spec.text}: cannot compare the values {values[:3]!r}") from exc
        bad = next((v for v in values if isinstance(v, bool) or not isinstance(v, int | float)), None)
        if bad is not None:
            raise ExecutionError(f"{self.spec.text}: {kind.upper()} needs numbers, got {bad!r}")
        total = sum(values)
        return total / len(values) if kind == "avg" else total

    def _is_first(self, times: list[int], keys: list[tuple[Any, ...]], matches: list[bool]) -> list[int]:
        assert self.window is not None
        ends = self.window.first_ends(times)
        results = []
        for end, key, match in zip(ends, keys, matches, strict=True):
            if not match or self.first_seen.get(key) == end:
                results.append(0)
            else:
                self.first_seen[key] = end
                results.append(1)
        return results

    def snapshot(self) -> dict[str, Any]:
        return {
            "history": [
                [list(key), [list(entry) for entry in entries]] for key, entries in self.history.items()
            ],
            "first_seen": [[list(key), end] for key, end in self.first_seen.items()],
        }

    def restore(self, state: dict[str, Any]) -> None:
        keep = None if self.spec.kind in AGGREGATE_KINDS else max(self.spec.offset, 1)
        self.history = {
            tuple(key): deque((tuple(entry) for entry in entries), maxlen=keep)
            for key, entries in state["history"]
        }
        self.first_seen = {tuple(key): end for key, end in state["first_seen"]}
