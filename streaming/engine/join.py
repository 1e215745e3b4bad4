"""Reference-data JOIN ("Reference data JOIN" and "JOIN" reference pages): each stream event is joined
with the rows of a reference input (snapshots loaded with `Engine.load_reference`) that satisfy
the ON condition; INNER JOIN drops events without a match, LEFT [OUTER] JOIN keeps them with NULL
reference columns. The event keeps its time.

Reference data is a sequence of snapshots, each valid from a time on ("Use reference data for lookups in
Stream Analytics", Blob Storage: blobs are ordered by the date/time in their name; a job looks for a
blob when its clock reaches that time and keeps the previous data until it finds it). A row joins the
latest snapshot valid at its time (`System.Timestamp()` of the row), so events re-read from a backlog
join the data that was current for them. The engine releases snapshots no row can reach any more (older
than the one valid at the lowest input watermark) when it loads a new one.

Equalities between a stream expression and a reference expression in ON (`s.k = r.k`) are looked up in
a hash index of the reference rows, rebuilt when new reference rows are loaded; further conditions are
checked on the joined rows (INNER JOIN only; an INNER JOIN without an equality checks every reference
row, as geofencing does; LEFT JOIN needs an equality). A JOIN whose ON bounds the two sources
in time (`DATEDIFF(unit, a, b)` with source names) is a stream-to-stream JOIN (`stream_join.py`).
NULL keys never match.

A join table has the stream's rows as its source and the reference records as column 0, laid out
reference first and stream last, so `*` and unqualified names take the stream's value when both have
one ("leftmost wins"); `r.x` reads the reference record, `s.x` the stream row.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

from streaming.engine import ast
from streaming.engine.columnar import Batch, to_list, truth
from streaming.engine.errors import ExecutionError, PlanError
from streaming.engine.table import Layout, Part, Table

JOIN_LAYOUT = Layout([Part("spread", slot=0), Part("source")])
Evaluator = Callable[[Batch], Any]
EARLIEST = -(2**63)
"""`valid_from_us` of a snapshot that applies to every time (the data loaded at start, a test file)."""


class Snapshot(NamedTuple):
    """One version of a reference input: its rows, valid from `valid_from_us` (microseconds) on."""

    valid_from_us: int
    rows: list[dict[str, Any]]
    source: str


def key_properties(nodes: list[ast.Node], reference: frozenset[str]) -> tuple[str, ...]:
    """The reference properties the ON keys read (`r.k` -> `k`): a row without one cannot match."""
    found = [
        column.path[1]
        for node in nodes
        for column in ast.walk(node)
        if isinstance(column, ast.Column) and len(column.path) > 1 and column.path[0].lower() in reference
    ]
    return tuple(dict.fromkeys(found))


def missing_key(row: dict[str, Any], properties: tuple[str, ...]) -> str | None:
    """The first key property `row` lacks (names match case-insensitively, as columns do)."""
    names = {name.casefold() for name in row}
    return next((p for p in properties if p.casefold() not in names), None)


def conjuncts(node: ast.Node) -> list[ast.Node]:
    if isinstance(node, ast.Binary) and node.op == "AND":
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def side(node: ast.Node, reference: frozenset[str]) -> str | None:
    """ "reference" when every column is qualified with the reference's name, "stream" when none is, None
    when mixed or without columns."""
    columns = [n for n in ast.walk(node) if isinstance(n, ast.Column)]
    if not columns:
        return None
    qualified = [c.path[0].lower() in reference and len(c.path) > 1 for c in columns]
    if all(qualified):
        return "reference"
    return "stream" if not any(qualified) else None


def split_condition(
    join: ast.Join, reference: frozenset[str]
) -> tuple[list[ast.Node], list[ast.Node], list[ast.Node]]:
    """(stream key expressions, reference key expressions, other conditions) of an ON clause."""
    stream_keys: list[ast.Node] = []
    reference_keys: list[ast.Node] = []
    others: list[ast.Node] = []
    for part in conjuncts(join.condition):
        if isinstance(part, ast.Binary) and part.op == "=":
            sides = (side(part.left, reference), side(part.right, reference))
            if sides == ("stream", "reference"):
                stream_keys.append(part.left)
                reference_keys.append(part.right)
                continue
            if sides == ("reference", "stream"):
                stream_keys.append(part.right)
                reference_keys.append(part.left)
                continue
        others.append(part)
    if not stream_keys and join.kind == "left":
        raise PlanError(
            "a reference LEFT JOIN needs an equality between the stream and the reference input in ON "
            "(qualify the reference's columns with its name)",
            join.condition.line,
            join.condition.column,
        )
    if others and join.kind == "left":
        node = others[0]
        raise PlanError("LEFT JOIN supports only equalities in ON", node.line, node.column)
    return stream_keys, reference_keys, others


def _keys(columns: list[list[Any]], size: int) -> Iterable[tuple[Any, ...]]:
    """Each row's key tuple; `()` for every row when ON has no equality (every reference row is a
    candidate, as in the geofencing article's `ON ST_WITHIN(s.position, r.fence) = 0`)."""
    return zip(*columns, strict=True) if columns else repeat((), size)


class Joiner:
    """Joins a batch of stream rows with the current reference rows of one input."""

    def __init__(
        self,
        name: str,
        kind: str,
        stream_keys: list[Evaluator],
        reference_keys: list[Evaluator],
        condition: Evaluator | None,
        key_properties: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.key_properties = key_properties
        self.kind = kind
        self.stream_keys = stream_keys
        self.reference_keys = reference_keys
        self.condition = condition
        self._indexes: dict[
            int, tuple[list[dict[str, Any]], dict[tuple[Any, ...], list[dict[str, Any]]]]
        ] = {}
        """id(rows) -> (rows, their hash index), for the snapshots still loaded."""

    def index(self, rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
        cached = self._indexes.get(id(rows))
        if cached is not None and cached[0] is rows:
            return cached[1]
        table = Table.of_records(rows)
        batch = Batch(table, [0] * table.size, [])
        columns = [to_list(key(batch), table.size) for key in self.reference_keys]
        index: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        try:
            for row, key in zip(rows, _keys(columns, table.size), strict=True):
                if None not in key:
                    index.setdefault(key, []).append(row)
        except TypeError as exc:
            raise ExecutionError(f"JOIN {self.name}: reference keys must be scalars: {exc}") from exc
        self._indexes[id(rows)] = (rows, index)
        return index

    def __call__(
        self, rows: Table, times: list[int], references: dict[str, list[Snapshot]]
    ) -> tuple[Table, list[int]]:
        snapshots = references.get(self.name)
        if not snapshots:
            raise ExecutionError(
                f"reference input {self.name} has no data: load it with Engine.load_reference"
            )
        if not rows.size:
            return rows, times
        first = max(bisect.bisect_right([s.valid_from_us for s in snapshots], min(times)) - 1, 0)
        snapshots = snapshots[first:]  # the ones this batch can reach
        starts = [s.valid_from_us for s in snapshots]
        live = {id(s.rows) for s in snapshots}
        self._indexes = {k: v for k, v in self._indexes.items() if k in live}
        indexes = [self.index(s.rows) for s in snapshots]
        if len(indexes) == 1 or max(times) < starts[1]:
            chosen = [indexes[0]] * rows.size
        else:
            chosen = [indexes[max(bisect.bisect_right(starts, t) - 1, 0)] for t in times]
        batch = Batch(rows, times, [])
        keys = _keys([to_list(key(batch), rows.size) for key in self.stream_keys], rows.size)
        positions: list[int] = []
        matched: list[dict[str, Any] | None] = []
        try:
            for position, key in enumerate(keys):
                found = chosen[position].get(key) if None not in key else None
                if found:
                    positions.extend([position] * len(found))
                    matched.extend(found)
                elif self.kind == "left":
                    positions.append(position)
                    matched.append(None)
        except TypeError as exc:
            raise ExecutionError(f"JOIN {self.name}: stream keys must be scalars: {exc}") from exc
        joined = Table(len(positions), rows.pick(positions), [matched], JOIN_LAYOUT)
        joined_times = [times[i] for i in positions]
        if self.condition is None or not joined.size:
            return joined, joined_times
        mask = truth(self.condition(Batch(joined, joined_times, [])), joined.size)
        if mask.all():
            return joined, joined_times
        kept = np.flatnonzero(mask).tolist()
        return joined.take(mask), [joined_times[i] for i in kept]
