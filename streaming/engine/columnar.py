"""Columnar evaluation: an expression is compiled once into a tree of closures that each process a whole
batch column at a time, numeric and boolean columns as numpy arrays with a validity mask (SQL NULL).

JSON input is schemaless, so a column read from the payload starts as a Python list; it becomes a numpy
vector as soon as an operation needs one and every value has a fitting type (the common case, checked
with one `set(map(type, ...))`); otherwise the operation falls back to per-value semantics from `values`,
which define the results in every case.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import compress, repeat
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from streaming.engine import ast, letter_case, values
from streaming.engine.codegen import ANALYTIC_PLACES, Scope, check_call, sql
from streaming.engine.errors import ExecutionError, PlanError
from streaming.engine.javascript import JavaScriptRuntime
from streaming.engine.scalars import AGGREGATES, SCALARS, like, like_pattern

if TYPE_CHECKING:
    from streaming.engine.table import Table

_NONE = type(None)
_NUMBER_TYPES = frozenset({int, float, _NONE})
_INT_TYPES = frozenset({int, _NONE})
_T = TypeVar("_T")
_BOOL_TYPES = frozenset({bool, _NONE})
_STR_TYPES = frozenset({str, _NONE})
_COMPARE = {
    "=": np.equal,
    "<>": np.not_equal,
    "<": np.less,
    ">": np.greater,
    "<=": np.less_equal,
    ">=": np.greater_equal,
}


@dataclass
class Batch:
    """The rows of one step's input, their System.Timestamp() (microseconds) and function results."""

    rows: Table
    times: list[int]
    udf: list[list[Any]]
    analytic: list[list[Any]] = field(default_factory=list)
    """Each analytic function's value per row, computed before WHERE (`analytics.py`)."""
    cache: dict[int, Any] = field(default_factory=dict)
    memo: dict[tuple[int, str], tuple[list[Any], Any]] = field(default_factory=dict)
    """Per-list derived data (value types, numpy views), so that a column used by several operators is
    examined once per batch; keyed by identity, holding the list to keep the identity valid."""

    @property
    def size(self) -> int:
        return self.rows.size


@dataclass
class Vector:
    """A numeric or bit column: `values` where `valid`, NULL elsewhere (either may be a scalar)."""

    values: Any
    valid: Any


@dataclass
class Const:
    value: Any


class Times:
    """System.Timestamp() of a batch's rows: microseconds since the epoch, as datetimes when read as
    values, formatted as text all at once for outputs."""

    __slots__ = ("_datetimes", "micros")

    def __init__(self, micros: np.ndarray) -> None:
        self.micros = micros
        self._datetimes: list[Any] | None = None

    def datetimes(self) -> list[Any]:
        if self._datetimes is None:
            cache: dict[int, Any] = {}
            self._datetimes = [
                cache.get(t) or cache.setdefault(t, values.micros_to_datetime(t))
                for t in self.micros.tolist()
            ]
        return self._datetimes

    def texts(self) -> list[str]:
        """The service's text form, `2026-11-29T10:00:00.1234560Z`, for every row."""
        stamps = np.datetime_as_string(self.micros.astype("datetime64[us]"), unit="us").tolist()
        return [stamp + "0Z" for stamp in stamps]


Value = Vector | Const | Times | list[Any]
Evaluator = Callable[[Batch], Value]


def to_list(value: Value, size: int) -> list[Any]:
    """Any column as a Python list with None for NULL."""
    if isinstance(value, list):
        return value
    if isinstance(value, Const):
        return [value.value] * size
    if isinstance(value, Times):
        return value.datetimes()
    data = np.broadcast_to(value.values, (size,))
    valid = np.broadcast_to(value.valid, (size,))
    if valid.all():
        items: list[Any] = data.tolist()
        return items
    objects = data.astype(object)
    objects[~valid] = None
    items = objects.tolist()
    return items


Memo = dict[tuple[int, str], tuple[list[Any], Any]]


def _memoised(memo: Memo | None, items: list[Any], tag: str, derive: Callable[[list[Any]], _T]) -> _T:
    """`derive(items)`, computed once per list and batch when a memo is given."""
    if memo is None:
        return derive(items)
    key = (id(items), tag)
    hit = memo.get(key)
    if hit is not None and hit[0] is items:
        derived: _T = hit[1]
        return derived
    result = derive(items)
    memo[key] = (items, result)
    return result


def kinds_of(items: list[Any], memo: Memo | None = None) -> set[type]:
    """The Python types of a column's values."""
    return _memoised(memo, items, "kinds", lambda values: set(map(type, values)))


def to_vector(value: Value, size: int, memo: Memo | None = None) -> Vector | None:
    """A numeric/bit view of the column, or None when some value is not a number (or not all bits)."""
    if isinstance(value, Vector):
        return value
    if isinstance(value, Const):
        item = value.value
        if item is None:
            return Vector(np.zeros(size), False)
        if isinstance(item, bool | int | float):
            return Vector(item, True)
        return None
    if isinstance(value, Times):
        return None
    return _memoised(memo, value, "vector", lambda items: _list_vector(items, kinds_of(items, memo)))


def _list_vector(value: list[Any], kinds: set[type]) -> Vector | None:
    if kinds <= _BOOL_TYPES and bool in kinds:
        valid = np.array(list(map(operator.is_not, value, repeat(None))), dtype=bool)
        return Vector(np.array([v is True for v in value], dtype=bool), valid)
    if kinds <= _NUMBER_TYPES:
        valid_rows: np.ndarray | bool
        if _NONE in kinds:
            valid_rows = np.array(list(map(operator.is_not, value, repeat(None))), dtype=bool)
            filled = [0 if v is None else v for v in value]
        else:
            valid_rows, filled = True, value
        try:
            data = np.array(filled, dtype=np.int64 if float not in kinds else np.float64)
        except OverflowError:
            return None
        return Vector(data, valid_rows)
    return None


def truth(value: Value, size: int, memo: Memo | None = None) -> np.ndarray:
    """Rows where a condition is TRUE (NULL and FALSE are not); values as in `values.truth_value`."""
    bits = _bits(value, size, memo)
    return np.broadcast_to(bits.values & bits.valid, (size,))


def _text_column(items: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """A column of text (or NULL) as an object array and its validity mask."""
    objects = np.fromiter(items, dtype=object, count=len(items))
    return objects, np.fromiter(map(operator.is_not, items, repeat(None)), dtype=bool, count=len(items))


def _objects(items: list[Any], size: int) -> np.ndarray:
    """A list as a one-dimensional object array (records and arrays stay single elements)."""
    return np.fromiter(items, dtype=object, count=size)


def _stream_rows(batch: Batch) -> Table:
    """The stream side of a join table (its source)."""
    from streaming.engine.table import Table

    source = batch.rows.source
    return source if isinstance(source, Table) else Table.of_records(source or [])


def _subset(batch: Batch, mask: np.ndarray) -> Batch:
    kept = mask.tolist()
    return Batch(
        batch.rows.take(mask),
        list(compress(batch.times, kept)),
        [list(compress(column, kept)) for column in batch.udf],
        [list(compress(column, kept)) for column in batch.analytic],
    )


def _fill(result: np.ndarray, mask: np.ndarray, evaluate: Evaluator, batch: Batch) -> None:
    """Evaluate `evaluate` on the rows in `mask` only and put the values there."""
    if mask.all():
        value = evaluate(batch)
        result[:] = (
            value.value if isinstance(value, Const) else _objects(to_list(value, batch.size), batch.size)
        )
        return
    sub = _subset(batch, mask)
    value = evaluate(sub)
    result[mask] = value.value if isinstance(value, Const) else _objects(to_list(value, sub.size), sub.size)


def _bits(value: Value, size: int, memo: Memo | None = None) -> Vector:
    vector = to_vector(value, size, memo)
    if vector is not None:
        return Vector(np.asarray(vector.values, dtype=bool), vector.valid)
    items = [values.truth_value(v) for v in to_list(value, size)]
    return Vector(
        np.array([v is True for v in items], dtype=bool),
        np.array(list(map(operator.is_not, items, repeat(None))), dtype=bool),
    )


class ColumnarCompiler:
    """Compiles expressions of one SELECT into batch evaluators (same names and checks as codegen)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._compiled: dict[str, Evaluator] = {}

    def compile(self, node: ast.Node) -> Evaluator:
        """An evaluator for `node`; equal subexpressions share one evaluator and one result per batch."""
        if isinstance(node, ast.Literal | ast.Star):
            return self._literal(node) if isinstance(node, ast.Literal) else self._star(node)
        key = sql(node)
        if key in self._compiled:
            return self._compiled[key]
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        if method is None:
            raise PlanError(f"unsupported expression {type(node).__name__}", node.line, node.column)
        evaluate = method(node)
        slot = len(self._compiled)

        def memoised(batch: Batch) -> Value:
            cache = batch.cache
            if slot in cache:
                cached: Value = cache[slot]
                return cached
            result: Value = evaluate(batch)
            cache[slot] = result
            return result

        self._compiled[key] = memoised
        return memoised

    def _literal(self, node: ast.Literal) -> Evaluator:
        constant = Const(node.value)
        return lambda batch: constant

    def _star(self, node: ast.Star) -> Evaluator:
        raise PlanError("* is only allowed in the SELECT list or COUNT(*)", node.line, node.column)

    def _column(self, node: ast.Column) -> Evaluator:
        path = list(node.path)
        joined = self.scope.joined
        if path[0].lower() in joined:  # the joined reference record, or a property of it
            rest_of_reference = path[1:]

            def reference(batch: Batch) -> Value:
                items = to_list(batch.rows.values[0], batch.size)
                for part in rest_of_reference:
                    items = values.record_properties(items, part)
                return items

            return reference
        stream_side = False
        if path[0].lower() in self.scope.source_names:
            stream_side = bool(joined)  # `s.x` in a JOIN: the stream's row, not the merged one
            if len(path) == 1:
                if stream_side:
                    return lambda batch: _stream_rows(batch).records()
                return lambda batch: batch.rows.records()  # the whole row as a record
            path = path[1:]
        name, rest = path[0], path[1:]

        def column(batch: Batch) -> Value:
            found = (_stream_rows(batch) if stream_side else batch.rows).column(name)
            if not rest:
                return found
            items = to_list(found, batch.size)
            for part in rest:
                items = values.record_properties(items, part)
            return items

        return column

    def _unary(self, node: ast.Unary) -> Evaluator:
        operand = self.compile(node.operand)
        if node.op == "NOT":

            def logical_not(batch: Batch) -> Value:
                bits = _bits(operand(batch), batch.size, batch.memo)
                return Vector(~bits.values, bits.valid)

            return logical_not

        def negate(batch: Batch) -> Value:
            value = operand(batch)
            vector = to_vector(value, batch.size, batch.memo)
            if vector is not None and np.asarray(vector.values).dtype.kind != "b":
                return Vector(-vector.values, vector.valid)
            return [values.negate(v) for v in to_list(value, batch.size)]

        return negate

    def _binary(self, node: ast.Binary) -> Evaluator:
        left, right = self.compile(node.left), self.compile(node.right)
        op = node.op
        if op in ("AND", "OR"):

            def logical(batch: Batch) -> Value:
                a, b = _bits(left(batch), batch.size, batch.memo), _bits(right(batch), batch.size, batch.memo)
                a_true, b_true = a.values & a.valid, b.values & b.valid
                if op == "AND":
                    known = (a.valid & b.valid) | (a.valid & ~a.values) | (b.valid & ~b.values)
                    return Vector(a_true & b_true, known)
                result = a_true | b_true
                return Vector(result, (a.valid & b.valid) | result)

            return logical
        place = (node.line, node.column, sql(node))
        if op in _COMPARE:
            function = _COMPARE[op]

            def compare(batch: Batch) -> Value:
                size = batch.size
                a_value, b_value = left(batch), right(batch)
                memo = batch.memo
                a, b = to_vector(a_value, size, memo), to_vector(b_value, size, memo)
                if a is not None and b is not None:
                    return Vector(function(a.values, b.values), a.valid & b.valid)
                watch = letter_case.active()
                if watch is not None:
                    watch.check(*place, op, zip(to_list(a_value, size), to_list(b_value, size), strict=True))
                if isinstance(b_value, Const) and isinstance(b_value.value, str) and op in ("=", "<>"):
                    items = to_list(a_value, size)
                    if kinds_of(items, memo) <= _STR_TYPES:  # text against a text literal, elementwise
                        objects, valid = _memoised(memo, items, "objects", _text_column)
                        equal = objects == b_value.value
                        return Vector(equal if op == "=" else ~equal, valid)
                return [
                    values.compare(op, x, y)
                    for x, y in zip(to_list(a_value, size), to_list(b_value, size), strict=True)
                ]

            return compare

        if op in ("LIKE", "NOT LIKE"):
            return self._like(node, left, right, negated=op == "NOT LIKE")

        def arithmetic(batch: Batch) -> Value:
            size = batch.size
            a_value, b_value = left(batch), right(batch)
            a, b = to_vector(a_value, size, batch.memo), to_vector(b_value, size, batch.memo)
            numeric = (
                a is not None
                and b is not None
                and np.asarray(a.values).dtype.kind != "b"
                and np.asarray(b.values).dtype.kind != "b"
            )
            if numeric and a is not None and b is not None and op in ("+", "-", "*"):
                result = {"+": np.add, "-": np.subtract, "*": np.multiply}[op](a.values, b.values)
                return Vector(result, a.valid & b.valid)
            if numeric and a is not None and b is not None and op == "/":
                divisor = np.asarray(b.values, dtype=np.float64)
                nonzero = divisor != 0
                with np.errstate(divide="ignore", invalid="ignore"):
                    result = np.true_divide(a.values, np.where(nonzero, divisor, 1.0))
                return Vector(result, a.valid & b.valid & nonzero)
            return [
                values.arithmetic(op, x, y)
                for x, y in zip(to_list(a_value, size), to_list(b_value, size), strict=True)
            ]

        return arithmetic

    def _like(self, node: ast.Binary, left: Evaluator, right: Evaluator, negated: bool) -> Evaluator:
        where = f"LIKE at line {node.line}, column {node.column}"

        def matches(batch: Batch) -> Value:
            size = batch.size
            pattern = right(batch)
            items = to_list(left(batch), size)
            watch = letter_case.active()
            if watch is not None:
                watch.check(
                    node.line, node.column, sql(node), "LIKE", zip(items, to_list(pattern, size), strict=True)
                )
            try:
                if isinstance(pattern, Const):
                    if pattern.value is None:
                        return Const(None)
                    match = like_pattern(str(pattern.value)).fullmatch
                    if not kinds_of(items, batch.memo) <= _STR_TYPES:
                        bad = next(v for v in items if v is not None and type(v) is not str)
                        raise TypeError(f"LIKE needs text, got {bad!r}")
                    found = [None if v is None else match(v) is not None for v in items]
                else:
                    found = [like(v, p) for v, p in zip(items, to_list(pattern, size), strict=True)]
            except TypeError as exc:
                raise ExecutionError(f"{where}: {exc}") from exc
            if negated:
                return [None if v is None else not v for v in found]
            return found

        return matches

    def _isnull(self, node: ast.IsNull) -> Evaluator:
        operand = self.compile(node.operand)
        negated = node.negated

        def is_null(batch: Batch) -> Value:
            value = operand(batch)
            if isinstance(value, Vector):
                valid = np.broadcast_to(value.valid, (batch.size,))
                return Vector(valid if negated else ~valid, True)
            if isinstance(value, Const):
                return Const((value.value is not None) if negated else (value.value is None))
            if isinstance(value, Times):
                return Const(negated)
            if _NONE not in kinds_of(value, batch.memo):
                return Vector(np.full(batch.size, negated), True)
            nulls = np.fromiter(map(operator.is_, value, repeat(None)), dtype=bool, count=batch.size)
            return Vector(~nulls if negated else nulls, True)

        return is_null

    def _case(self, node: ast.Case) -> Evaluator:
        operand = self.compile(node.operand) if node.operand is not None else None
        whens = [(self.compile(c), self.compile(r)) for c, r in node.whens]
        default = self.compile(node.default) if node.default is not None else (lambda batch: Const(None))

        def case(batch: Batch) -> Value:
            # Branches run only on the rows that take them, so a CAST in a branch not taken cannot fail.
            size = batch.size
            subject = operand(batch) if operand is not None else None
            result = np.empty(size, dtype=object)
            decided = np.zeros(size, dtype=bool)
            for condition, branch in whens:
                value = condition(batch)
                if subject is not None:
                    watch = letter_case.active()
                    if watch is not None:
                        pairs = zip(to_list(subject, size), to_list(value, size), strict=True)
                        watch.check(node.line, node.column, sql(node), "=", pairs)
                    value = [
                        values.compare("=", x, y)
                        for x, y in zip(to_list(subject, size), to_list(value, size), strict=True)
                    ]
                hit = truth(value, size, batch.memo) & ~decided
                if hit.any():
                    _fill(result, hit, branch, batch)
                    decided |= hit
            if not decided.all():
                _fill(result, ~decided, default, batch)
            return result.tolist()

        return case

    def _cast(self, node: ast.Cast) -> Evaluator:
        type_name = node.type_name
        if not (type_name in values.CAST_TYPES or type_name.startswith("nvarchar")):
            raise PlanError(
                f"unknown type {type_name} (bigint, float, nvarchar(max), datetime, bit, record, array)",
                node.line,
                node.column,
            )
        operand = self.compile(node.operand)
        kind = "nvarchar(max)" if type_name.startswith("nvarchar") else type_name
        where = f"CAST at line {node.line}, column {node.column}"
        safe = node.safe

        def cast(batch: Batch) -> Value:
            size = batch.size
            value = operand(batch)
            if isinstance(value, Const):
                return Const(
                    values.try_cast(value.value, kind)
                    if safe
                    else values.strict_cast(value.value, kind, where)
                )
            if isinstance(value, Vector):
                dtype = np.asarray(value.values).dtype
                if kind == "float" and dtype.kind != "b":
                    return Vector(np.asarray(value.values, dtype=np.float64), value.valid)
                if kind == "bit" and dtype.kind == "b":
                    return value
            value = to_list(value, size)
            kinds = kinds_of(value, batch.memo)
            if kind == "float" and kinds <= _NUMBER_TYPES:
                vector = to_vector(value, size, batch.memo)
                if vector is not None:
                    data = np.asarray(vector.values, dtype=np.float64)
                    return Vector(data, vector.valid & np.isfinite(data))
            if kind == "bigint" and kinds <= _INT_TYPES:
                vector = to_vector(value, size, batch.memo)
                if vector is not None:
                    return Vector(vector.values, vector.valid)
            if kind == "bit" and kinds <= _BOOL_TYPES:
                return value
            if kind == "nvarchar(max)" and kinds <= _STR_TYPES:
                return value
            if safe:
                return [values.try_cast(v, kind) for v in value]
            return [values.strict_cast(v, kind, where) for v in value]

        return cast

    def _analytic(self, node: ast.Analytic) -> Evaluator:
        slots = self.scope.analytics
        key = sql(node)
        if slots is None or key not in slots:
            raise PlanError(ANALYTIC_PLACES, node.line, node.column)
        slot = slots[key]
        return lambda batch: batch.analytic[slot]

    def _javascript(self, node: ast.Call, function: str, runtime: JavaScriptRuntime) -> Evaluator:
        """A JavaScript UDF: one request to the query's node process per batch (`javascript.py`)."""
        arguments = [self.compile(a) for a in node.args]
        where = f"line {node.line}, column {node.column}"

        def javascript(batch: Batch) -> Value:
            columns = [to_list(argument(batch), batch.size) for argument in arguments]
            rows = [list(row) for row in zip(*columns, strict=True)] if columns else [[]] * batch.size
            return runtime.call(function, rows, where)

        return javascript

    def _call(self, node: ast.Call) -> Evaluator:
        scope = self.scope
        name = node.qualified
        check_call(node, scope)
        if name == "system.timestamp":

            def timestamp(batch: Batch) -> Value:
                return Times(np.array(batch.times, dtype=np.int64))

            return timestamp
        if name.startswith("udf.") and scope.javascript is not None:
            function = ".".join(node.name[1:])
            if function in scope.javascript.functions:
                return self._javascript(node, function, scope.javascript)
        if name.startswith("udf."):
            scope.udf_calls.append(node)
            index = len(scope.udf_calls) - 1
            return lambda batch: batch.udf[index]
        if name in AGGREGATES or name.startswith("uda."):
            raise PlanError(f"{'.'.join(node.name)}() needs GROUP BY with a window", node.line, node.column)
        implementation = SCALARS[name][0]
        arguments = [self.compile(a) for a in node.args]

        def scalar(batch: Batch) -> Value:
            columns = [to_list(argument(batch), batch.size) for argument in arguments]
            try:
                return [implementation(*row) for row in zip(*columns, strict=True)]
            except TypeError as exc:
                raise ExecutionError(f"{node.name[-1]}() at line {node.line}: {exc}") from exc

        return scalar
