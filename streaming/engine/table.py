"""Tables: the rows of one step's batch, kept as columns from step to step.

A SELECT's result is a `Table`: its source rows (what `*` spreads), the values it computed (one column
per SELECT item: a numpy `Vector`, a `Const`, `Times` or a list) and its `Layout`, the SELECT list as a
dict display. A later step reads a column by name (`column`) without building any row; row dicts exist
only where something needs whole rows: a record argument (`udf.score(Step)`), and the outputs
(`payloads`, JSON values). Both are built once per table with one generated dict display.

A column read by name follows the dict display's rules: the last part that sets the name wins, and a
`*` sets only the names its row has, so a name may come from different parts in different rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import compress, repeat
from operator import itemgetter
from typing import Any

import numpy as np
import orjson

from streaming.engine.codegen import build
from streaming.engine.columnar import Const, Times, Value, Vector, to_list
from streaming.engine.values import format_datetime, record_properties

MISSING: Any = object()
"""A name a row does not have (unlike NULL, which it has)."""

_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True)
class Part:
    """One part of a SELECT list: `*` of the source (`kind` "source"), a named column, or the fields of
    a record column (`kind` "spread", `record.*`); `slot` indexes the table's values."""

    kind: str
    name: str | None = None
    slot: int = -1


class Layout:
    """A SELECT list as a dict display, compiled once: `assemble(source_rows, columns, n) -> rows`, and
    `encode(...)`, the same rows as JSON lines, each encoded as soon as it is built (no row is kept)."""

    def __init__(self, parts: Sequence[Part]) -> None:
        self.parts = tuple(parts)
        self.has_source = any(part.kind == "source" for part in self.parts)
        slots = sorted({part.slot for part in self.parts if part.kind != "source"})
        items = []
        for part in self.parts:
            if part.kind == "source":
                items.append("**r")
            elif part.kind == "spread":
                items.append(f"**(c{part.slot} if type(c{part.slot}) is dict else {{}})")
            else:
                items.append(f"{part.name!r}: c{part.slot}")
        names = ["r" if self.has_source else "_", *(f"c{slot}" for slot in slots)]
        sources = ["R" if self.has_source else "repeat(None, n)", *(f"C[{slot}]" for slot in slots)]
        display = "{" + ", ".join(items) + "}"
        if len(names) == 1:
            body = f"[{display} for {names[0]} in {sources[0]}]"
        else:
            body = f"[{display} for {', '.join(names)} in zip({', '.join(sources)})]"
        self.assemble: Callable[[Any, list[list[Any]], int], list[dict[str, Any]]] = build(
            f"def assemble(R, C, n):\n    return {body}\n", "assemble", {"repeat": repeat}
        )
        encoding = body.replace(display, f"dumps({display})", 1)
        self.encode: Callable[[Any, list[list[Any]], int], list[bytes]] = build(
            f"def encode(R, C, n):\n    return {encoding}\n",
            "encode",
            {"repeat": repeat, "dumps": orjson.dumps},
        )


SOURCE_ONLY = Layout([Part("source")])


class Table:
    """One batch of rows: `source` (another table, or row dicts for `SOURCE_ONLY`) and computed `values`.

    Immutable once built; row dicts and columns read by name are cached on it, so outputs fed the same
    table share one list of payloads.
    """

    __slots__ = (
        "_lines",
        "_lookups",
        "_payloads",
        "_records",
        "_row_columns",
        "json",
        "layout",
        "size",
        "source",
        "values",
    )

    def __init__(
        self,
        size: int,
        source: Table | list[dict[str, Any]] | None,
        values: list[Value],
        layout: Layout,
        json: bool = True,
    ) -> None:
        self.size = size
        self.source = source
        self.values = values
        self.layout = layout
        self.json = json
        """For row dicts as a source: whether they hold JSON values only (payloads, function replies)."""
        self._lookups: dict[tuple[str, bool], Value] = {}
        self._records: list[dict[str, Any]] | None = None
        self._payloads: list[dict[str, Any]] | None = None
        self._lines: list[bytes] | None = None
        self._row_columns: dict[str, list[Any]] | None = None

    @classmethod
    def of_records(cls, rows: list[dict[str, Any]], json: bool = True) -> Table:
        """Row dicts as a table (input events: JSON; closed windows: may hold datetimes)."""
        return cls(len(rows), rows, [], SOURCE_ONLY, json)

    # -- columns by name ---------------------------------------------------------------------------------
    def column(self, name: str) -> Value:
        """The values rows would have under `name`, None where a row lacks it."""
        return self._lookup(name, exact=False)

    def _lookup(self, name: str, exact: bool) -> Value:
        """The column; with `exact`, MISSING where a row lacks the name (a list then), which a table
        spreading this one needs when an earlier part of its own may set the name."""
        key = (name, exact)
        cached = self._lookups.get(key)
        if cached is not None:
            return cached
        layers: list[Value] = []
        parts = self.layout.parts
        # names match case-insensitively unless some column has exactly this name (then that one)
        spelled = any(part.kind == "column" and part.name == name for part in parts)
        folded = name.casefold()
        for index in range(len(parts) - 1, -1, -1):
            part = parts[index]
            if part.kind == "column":
                if part.name == name if spelled else part.name.casefold() == folded:  # type: ignore[union-attr]
                    layers.append(self.values[part.slot])
                    break
                continue
            missing = MISSING if (exact or index > 0) else None  # MISSING only matters if read below
            if part.kind == "source":
                found = self._source_lookup(name, missing is MISSING)
            else:
                records = to_list(self.values[part.slot], self.size)
                found = record_properties(records, name, missing)
            layers.append(found)
            if missing is None or not (isinstance(found, list) and MISSING in found):
                break
        else:
            layers.append([MISSING if exact else None] * self.size)
        result = layers.pop()
        while layers:  # a later part's value wins where its row has the name
            later = layers.pop()
            result = [
                b if b is not MISSING else a
                for a, b in zip(to_list(result, self.size), to_list(later, self.size), strict=True)
            ]
        self._lookups[key] = result
        return result

    def _source_lookup(self, name: str, exact: bool) -> Value:
        source = self.source
        if isinstance(source, Table):
            return source._lookup(name, exact)
        assert source is not None
        if self._row_columns is None and self._lookups:
            # a second name: the query reads several, read them all in one pass
            self._row_columns = _columns_of_rows(source)
        if self._row_columns:
            found = self._row_columns.get(name)
            if found is None:
                found = self._row_columns.get(name.casefold())
            if found is not None:
                return found
        return record_properties(source, name, MISSING if exact else None)

    # -- whole rows -------------------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        """Row dicts with engine values (datetimes as datetime): a record argument, `SELECT Step AS r`."""
        if self._records is None:
            source = self._source_rows(Table.records, json=False)
            if self._is_row_dicts():
                self._records = source
            else:
                columns = [to_list(value, self.size) for value in self.values]
                self._records = self.layout.assemble(source, columns, self.size)
        return self._records

    def payloads(self) -> list[dict[str, Any]]:
        """Row dicts with JSON values only (datetimes in the service's text form): what outputs write."""
        if self._payloads is None:
            source, columns = self._json_parts()
            self._payloads = (
                source if self._is_row_dicts() else self.layout.assemble(source, columns, self.size)
            )
        return self._payloads

    def json_lines(self) -> list[bytes]:
        """`payloads()` as compact UTF-8 JSON, one line per row, built without keeping the row dicts
        (encoding a row right after building it is several times faster than encoding kept rows)."""
        if self._lines is None:
            if self._payloads is not None or self._is_row_dicts():
                self._lines = list(map(orjson.dumps, self.payloads()))
            else:
                self._lines = self.layout.encode(*self._json_parts(), self.size)
        return self._lines

    def json_column(self, name: str) -> list[Any]:
        """A column's values as JSON values (a partition key column, for instance)."""
        return json_column(self.column(name), self.size)

    def _is_row_dicts(self) -> bool:
        """Whether this table is just its source's row dicts (`of_records`)."""
        return self.layout is SOURCE_ONLY and not isinstance(self.source, Table)

    def _json_parts(self) -> tuple[Any, list[list[Any]]]:
        """The source's rows and this table's columns, with JSON values only."""
        return self._source_rows(Table.payloads, json=True), [json_column(v, self.size) for v in self.values]

    def _source_rows(self, of_table: Callable[[Table], list[dict[str, Any]]], json: bool) -> Any:
        """The rows `*` spreads (None without `*`): a source table's, or the row dicts themselves
        (made JSON-only when `json` is asked for and they may hold datetimes)."""
        if not self.layout.has_source:
            return None
        source = self.source
        if isinstance(source, Table):
            return of_table(source)
        assert source is not None
        return source if (self.json or not json) else [json_value(row) for row in source]

    # -- subsets ----------------------------------------------------------------------------------------
    def pick(self, positions: list[int]) -> Table:
        """The rows at `positions`, a row repeated as often as it is named (CROSS APPLY)."""
        source = self.source
        if isinstance(source, Table):
            source = source.pick(positions)
        elif source is not None:
            source = [source[i] for i in positions]
        index = np.asarray(positions, dtype=np.intp)
        values = [pick_value(v, index, positions, self.size) for v in self.values]
        return Table(len(positions), source, values, self.layout, self.json)

    def take(self, mask: np.ndarray) -> Table:
        """The rows where the boolean `mask` is true."""
        source = self.source
        if isinstance(source, Table):
            source = source.take(mask)
        elif source is not None:
            source = list(compress(source, mask.tolist()))
        return Table(
            int(mask.sum()),
            source,
            [take_value(v, mask, self.size) for v in self.values],
            self.layout,
            self.json,
        )


def pick_value(value: Value, index: np.ndarray, positions: list[int], size: int) -> Value:
    """A column's values at `positions` (repeats allowed)."""
    if isinstance(value, Const):
        return value
    if isinstance(value, Vector):
        data = np.broadcast_to(value.values, (size,))[index]
        valid = value.valid if np.ndim(value.valid) == 0 else value.valid[index]
        return Vector(data, valid)
    if isinstance(value, Times):
        return Times(value.micros[index])
    return [value[i] for i in positions]


def take_value(value: Value, mask: np.ndarray, size: int) -> Value:
    """A column's values where `mask` is true."""
    if isinstance(value, Const):
        return value
    if isinstance(value, Vector):
        data = np.broadcast_to(value.values, (size,))[mask]
        valid = value.valid if np.ndim(value.valid) == 0 else value.valid[mask]
        return Vector(data, valid)
    if isinstance(value, Times):
        return Times(value.micros[mask])
    return list(compress(value, mask.tolist()))


def _columns_of_rows(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The columns every row has, named as in the first row, read in one pass over the rows.

    Reading a batch column by column visits every row dict once per column, and a batch of dicts does
    not fit in the processor's caches: one pass, then a transpose, is several times faster."""
    if len(rows) < 2 or type(rows[0]) is not dict or len(rows[0]) < 2:
        return {}
    names = list(rows[0])
    try:
        values = list(map(itemgetter(*names), rows))
    except (KeyError, TypeError):  # some row lacks a name (or is not a dict): column by column
        return {}
    columns = {name: list(column) for name, column in zip(names, zip(*values, strict=True), strict=True)}
    for name in names:  # names as the query may spell them: case-insensitive, the first one wins
        columns.setdefault(name.casefold(), columns[name])
    return columns


def json_column(value: Value, size: int) -> list[Any]:
    """A column as JSON values: datetimes as text (vectorised for System.Timestamp())."""
    if isinstance(value, Times):
        return value.texts()
    if isinstance(value, Vector):
        return to_list(value, size)  # numbers and bits
    items = to_list(value, size)
    if set(map(type, items)) <= _JSON_SCALARS:
        return items
    return [json_value(item) for item in items]


def json_value(value: Any) -> Any:
    """A value with every datetime inside it (records, arrays) in the service's text form."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value
