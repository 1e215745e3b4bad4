"""Stream-to-stream JOIN ("JOIN" reference page, MicrosoftDocs/azure-reference-other
stream-analytics-docs/join-azure-stream-analytics.md): two streams (inputs or steps) joined on an ON
condition that bounds how far apart in time the matched events are, with the special DATEDIFF whose
second and third arguments are the two sources' names: `DATEDIFF(minute, I1, I2) BETWEEN 0 AND 15`
reads "I2's timestamp is 0 to 15 minutes after I1's". Without such a bound on both sides the JOIN is
refused (the page: "each JOIN must provide some limits on how far the matching rows can be separated in
time"); the bound's width may not exceed seven days (the page's maximum DATEDIFF size).

Reading chosen where the page is silent: the bound is on the exact time difference (`lo * unit <=
I2 - I1 <= hi * unit`, `<`/`>` exclusive), not on a count of unit boundaries as the general DATEDIFF.

Time ("Understand time handling", and the JOIN page): a matched pair's System.Timestamp() is the later
of the two events' times; a LEFT JOIN's unmatched left event comes out at its time plus the upper bound
(when no right event can match it any more). Output is exact whatever order the two inputs' batches
come in: matches are found when the second event of a pair arrives, and rows leave in time order only
when both sides' watermarks have passed them (a later event cannot produce an earlier row), so windows
downstream close by the join's watermark, the minimum of both sides'.

State: each side's events that may still match (left ones while the right watermark is below
time + upper bound, right ones while the left watermark is below time - lower bound), LEFT JOIN's
unmatched left events, and found rows waiting for the watermark. Candidates are the pairs within the
time bound; the rest of ON is evaluated on them with the query's own comparison rules (no hash index:
equality in ON follows `values.compare`, which converts between types).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streaming.engine import ast
from streaming.engine.columnar import Batch, truth
from streaming.engine.dates import PARTS
from streaming.engine.errors import PlanError
from streaming.engine.join import JOIN_LAYOUT, conjuncts
from streaming.engine.table import Table
from streaming.engine.windows import MAX_SIZE, MICROS

_UNIT_MICROS = {**MICROS, "week": 7 * MICROS["day"]}
_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "="}
BOUND_HINT = "DATEDIFF(unit, left, right) BETWEEN low AND high"


_Entry = tuple[int, int, dict[str, Any]]
"""A buffered event: (time, sequence, record)."""


@dataclass(frozen=True)
class TimeBound:
    """`low <= right time - left time <= high`, in microseconds."""

    low: int
    high: int


def _number(node: ast.Node) -> float | None:
    if isinstance(node, ast.Literal) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Unary) and node.op == "-":
        inner = _number(node.operand)
        return None if inner is None else -inner
    return None


def _source_name(node: ast.Node, names: frozenset[str]) -> bool:
    return isinstance(node, ast.Column) and len(node.path) == 1 and node.path[0].lower() in names


def is_time_bound_call(node: ast.Node, left: frozenset[str], right: frozenset[str]) -> bool:
    """DATEDIFF(unit, a, b) with a and b the JOIN's two source names (the JOIN's special DATEDIFF)."""
    return (
        isinstance(node, ast.Call)
        and node.qualified == "datediff"
        and len(node.args) == 3
        and _source_name(node.args[1], left | right)
        and _source_name(node.args[2], left | right)
    )


def has_time_bound(condition: ast.Node, left: frozenset[str], right: frozenset[str]) -> bool:
    return any(is_time_bound_call(node, left, right) for node in ast.walk(condition))


def split_time_bound(
    join: ast.Join, left: frozenset[str], right: frozenset[str]
) -> tuple[TimeBound, ast.Node | None]:
    """The ON clause's time bound and the rest of the condition (None when nothing else is left)."""
    low: int | None = None
    high: int | None = None
    rest: list[ast.Node] = []
    for part in conjuncts(join.condition):
        call: ast.Node | None = None
        op = ""
        number: float | None = None
        if isinstance(part, ast.Binary) and part.op in _FLIPPED:
            if is_time_bound_call(part.left, left, right):
                call, op, number = part.left, part.op, _number(part.right)
            elif is_time_bound_call(part.right, left, right):
                call, op, number = part.right, _FLIPPED[part.op], _number(part.left)
        if call is None:
            for node in ast.walk(part):
                if is_time_bound_call(node, left, right):
                    raise PlanError(
                        "the JOIN's DATEDIFF(unit, source, source) must be compared with a number, "
                        f'as a condition joined by AND: {BOUND_HINT} ("JOIN" reference page)',
                        node.line,
                        node.column,
                    )
            rest.append(part)
            continue
        assert isinstance(call, ast.Call)
        if number is None:
            raise PlanError("the JOIN's DATEDIFF is compared with a number constant", part.line, part.column)
        unit_node, first, second = call.args
        unit = PARTS.get(str(unit_node.value) if isinstance(unit_node, ast.Literal) else "", "")
        if unit not in _UNIT_MICROS:
            raise PlanError(
                f"a JOIN time bound takes a fixed-length unit ({', '.join(_UNIT_MICROS)})",
                unit_node.line,
                unit_node.column,
            )
        assert isinstance(first, ast.Column) and isinstance(second, ast.Column)
        ordered = first.path[0].lower() in left and second.path[0].lower() in right
        reversed_ = first.path[0].lower() in right and second.path[0].lower() in left
        if not (ordered or reversed_):
            raise PlanError("the JOIN's DATEDIFF names its two sources, one each", call.line, call.column)
        if reversed_:  # DATEDIFF(u, right, left) = -(right - left)
            op, number = _FLIPPED[op], -number
        micros = round(number * _UNIT_MICROS[unit])
        if op in (">=", ">", "="):
            candidate = micros + 1 if op == ">" else micros
            low = candidate if low is None else max(low, candidate)
        if op in ("<=", "<", "="):
            candidate = micros - 1 if op == "<" else micros
            high = candidate if high is None else min(high, candidate)
    if low is None or high is None:
        raise PlanError(
            "a JOIN of two streams needs a time bound on both sides in ON: "
            f'{BOUND_HINT} ("JOIN" reference page: each JOIN must limit how far apart in time the '
            "matching rows can be)",
            join.condition.line,
            join.condition.column,
        )
    if high - low > MAX_SIZE:
        raise PlanError(
            'a JOIN time bound spans at most seven days ("JOIN" reference page)',
            join.condition.line,
            join.condition.column,
        )
    if not rest:
        return TimeBound(low, high), None
    condition = rest[0]
    for node in rest[1:]:
        condition = ast.Binary(node.line, node.column, "AND", condition, node)
    return TimeBound(low, high), condition


class StreamJoinState:
    """One JOIN step's buffers (see module doc). `add_left`/`add_right` take released rows of a side;
    `release` returns the joined rows that both watermarks have passed (a join table, `join.py`)."""

    def __init__(
        self, kind: str, bound: TimeBound, condition: Callable[[Batch], Any] | None, name: str
    ) -> None:
        self.kind = kind
        self.bound = bound
        self.condition = condition
        self.name = name
        self.sequence = 0
        self.left: list[_Entry] = []  # sorted by (time, sequence)
        self.right: list[_Entry] = []
        self.unmatched: set[int] = set()  # LEFT JOIN: sequences of left events without a match yet
        self.pending: list[tuple[int, int, dict[str, Any], dict[str, Any] | None]] = []

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    def add_left(self, rows: Table, times: list[int]) -> None:
        entries = [(t, self._next(), record) for t, record in zip(times, rows.records(), strict=True)]
        pairs: list[tuple[_Entry, _Entry]] = []
        for entry in entries:
            start = bisect_left(self.right, (entry[0] + self.bound.low,))
            end = bisect_right(self.right, (entry[0] + self.bound.high, float("inf")))
            pairs.extend((entry, other) for other in self.right[start:end])
            insort(self.left, entry)
            if self.kind == "left":
                self.unmatched.add(entry[1])
        self._match(pairs)

    def add_right(self, rows: Table, times: list[int]) -> None:
        entries = [(t, self._next(), record) for t, record in zip(times, rows.records(), strict=True)]
        pairs: list[tuple[_Entry, _Entry]] = []
        for entry in entries:
            start = bisect_left(self.left, (entry[0] - self.bound.high,))
            end = bisect_right(self.left, (entry[0] - self.bound.low, float("inf")))
            pairs.extend((other, entry) for other in self.left[start:end])
            insort(self.right, entry)
        self._match(pairs)

    def _match(self, pairs: list[Any]) -> None:
        if not pairs:
            return
        if self.condition is not None:
            left_rows = Table.of_records([left[2] for left, _ in pairs], json=False)
            table = Table(len(pairs), left_rows, [[right[2] for _, right in pairs]], JOIN_LAYOUT)
            times = [max(left[0], right[0]) for left, right in pairs]
            mask = truth(self.condition(Batch(table, times, [])), len(pairs))
            pairs = [pair for pair, keep in zip(pairs, mask.tolist(), strict=True) if keep]
        for left, right in pairs:
            self.unmatched.discard(left[1])
            heapq.heappush(self.pending, (max(left[0], right[0]), self._next(), left[2], right[2]))

    def release(self, left_mark: int | None, right_mark: int | None) -> tuple[Table, list[int]]:
        """Rows no later event can precede; marks are the sides' watermarks (None: the side ended)."""
        if right_mark is None:
            left_done = len(self.left)
        else:  # no right event at or after right_mark can match a left event with time + high below it
            left_done = bisect_left(self.left, (right_mark - self.bound.high,))
        for time, sequence, record in self.left[:left_done]:
            if sequence in self.unmatched:
                self.unmatched.discard(sequence)
                miss = max(time, time + self.bound.high)
                heapq.heappush(self.pending, (miss, self._next(), record, None))
        del self.left[:left_done]
        if left_mark is None:
            self.right.clear()
        else:
            del self.right[: bisect_left(self.right, (left_mark + self.bound.low,))]
        marks = [mark for mark in (left_mark, right_mark) if mark is not None]
        limit = min(marks) if marks else None
        out: list[tuple[int, int, dict[str, Any], dict[str, Any] | None]] = []
        while self.pending and (limit is None or self.pending[0][0] < limit):
            out.append(heapq.heappop(self.pending))
        left_rows = Table.of_records([row[2] for row in out], json=False)
        table = Table(len(out), left_rows, [[row[3] for row in out]], JOIN_LAYOUT)
        return table, [row[0] for row in out]

    def pending_count(self) -> int:
        return len(self.left) + len(self.right) + len(self.pending)

    # -- state -------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "left": [list(e) for e in self.left],
            "right": [list(e) for e in self.right],
            "unmatched": sorted(self.unmatched),
            "pending": [list(e) for e in self.pending],
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.sequence = state["sequence"]
        self.left = [(e[0], e[1], e[2]) for e in state["left"]]
        self.right = [(e[0], e[1], e[2]) for e in state["right"]]
        self.unmatched = set(state["unmatched"])
        self.pending = [(e[0], e[1], e[2], e[3]) for e in state["pending"]]
        heapq.heapify(self.pending)
