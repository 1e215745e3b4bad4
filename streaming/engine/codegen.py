"""Compile expressions to Python source for the per-row and per-group code paths, and print SQL.

Batches of rows are evaluated column-wise by `columnar.py`; this module generates the small functions
that run once per event or once per closed window group: the TIMESTAMP BY expression (`r` is the
payload) and an aggregate's projection and HAVING (`K` group key values, `A` aggregate results, `E`
window end). Generated once at plan time with `compile()`, so no expression tree is interpreted at run
time. `sql()` prints an expression back to SQL for EXPLAIN and to compare GROUP BY keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from streaming.engine import ast, letter_case, values
from streaming.engine.dates import DATEPART_FUNCTIONS, PARTS
from streaming.engine.errors import PlanError
from streaming.engine.javascript import JavaScriptRuntime
from streaming.engine.scalars import AGGREGATES, SCALARS


def check_udf_call(node: ast.Call, scope: Scope) -> None:
    """A `udf.<name>(record)` call names a configured Azure ML function and passes it one argument, or
    names a JavaScript function with as many arguments as its FunctionInputs."""
    function = ".".join(node.name[1:])
    javascript = scope.javascript.functions if scope.javascript is not None else {}
    if function in javascript:
        if javascript[function].aggregate:
            raise PlanError(
                f"{function} is a JavaScript aggregate: call it as uda.{function}(...)",
                node.line,
                node.column,
            )
        declared = javascript[function].inputs
        if declared is not None and declared != len(node.args):
            raise PlanError(
                f"udf.{function} takes {declared} argument(s) (FunctionInputs of its .js.json)",
                node.line,
                node.column,
            )
        return
    if function not in scope.functions:
        known = ", ".join(sorted({*scope.functions, *javascript})) or "none"
        raise PlanError(f"unknown function udf.{function} (configured: {known})", node.line, node.column)
    if len(node.args) != 1:
        raise PlanError("an Azure ML function takes exactly one argument (a record)", node.line, node.column)


def check_uda_call(node: ast.Call, scope: Scope) -> None:
    """A `uda.<name>(value)` call names a JavaScript user-defined aggregate and passes it one value."""
    function = ".".join(node.name[1:])
    javascript = scope.javascript.functions if scope.javascript is not None else {}
    found = javascript.get(function)
    if found is None or not found.aggregate:
        known = ", ".join(sorted(name for name, f in javascript.items() if f.aggregate)) or "none"
        raise PlanError(
            f"unknown JavaScript aggregate uda.{function} (configured: {known})", node.line, node.column
        )
    if len(node.args) != 1 or node.star:
        raise PlanError(f"uda.{function}() takes one argument", node.line, node.column)


def check_call(node: ast.Call, scope: Scope) -> None:
    """What both compilers refuse in any call: System.Timestamp() with arguments, a scalar function
    with the wrong number of them, a function the engine does not have; `udf.` calls as in
    `check_udf_call`."""
    name = node.qualified
    if name == "system.timestamp":
        if node.args:
            raise PlanError("System.Timestamp() takes no arguments", node.line, node.column)
    elif name.startswith("udf."):
        check_udf_call(node, scope)
    elif name.startswith("uda."):
        check_uda_call(node, scope)
    elif name in SCALARS:
        _, fewest, most = SCALARS[name]
        if not fewest <= len(node.args) <= most:
            raise PlanError(f"{node.name[-1]}() takes {fewest}..{most} arguments", node.line, node.column)
        if name in DATEPART_FUNCTIONS:
            part = node.args[0]
            if not (isinstance(part, ast.Literal) and isinstance(part.value, str) and part.value in PARTS):
                raise PlanError(
                    f"{node.name[-1]}() needs a datepart first ({', '.join(sorted(set(PARTS.values())))})",
                    part.line,
                    part.column,
                )
    elif name not in AGGREGATES:
        raise PlanError(
            f"function {'.'.join(node.name)}() is not supported by the local engine", node.line, node.column
        )


def sql(node: ast.Node | None) -> str:
    """The expression as SQL text, without positions (also the key that compares expressions)."""
    if node is None:
        return "NULL"
    if isinstance(node, ast.Literal):
        if node.value is None:
            return "NULL"
        if isinstance(node.value, str):
            return "'" + node.value.replace("'", "''") + "'"
        return repr(node.value)
    if isinstance(node, ast.Column):
        return ".".join(node.path)
    if isinstance(node, ast.Star):
        return f"{node.qualifier}.*" if node.qualifier else "*"
    if isinstance(node, ast.Unary):
        return f"NOT {sql(node.operand)}" if node.op == "NOT" else f"-{sql(node.operand)}"
    if isinstance(node, ast.Binary):
        return f"({sql(node.left)} {node.op} {sql(node.right)})"
    if isinstance(node, ast.IsNull):
        return f"{sql(node.operand)} IS {'NOT ' if node.negated else ''}NULL"
    if isinstance(node, ast.Case):
        head = f"CASE {sql(node.operand)} " if node.operand else "CASE "
        whens = " ".join(f"WHEN {sql(c)} THEN {sql(r)}" for c, r in node.whens)
        return f"{head}{whens} ELSE {sql(node.default)} END"
    if isinstance(node, ast.Cast):
        return f"{'TRY_CAST' if node.safe else 'CAST'}({sql(node.operand)} AS {node.type_name})"
    if isinstance(node, ast.Call):
        inner = "*" if node.star else ", ".join(sql(a) for a in node.args)
        text = f"{'.'.join(node.name)}({'DISTINCT ' if node.distinct else ''}{inner})"
        if node.order_by:
            keys = ", ".join(
                f"{sql(key)} {'DESC' if descending else 'ASC'}" for key, descending in node.order_by
            )
            text += f" OVER (ORDER BY {keys})"
        return text
    if isinstance(node, ast.Analytic):
        over = []
        if node.partition_by:
            over.append("PARTITION BY " + ", ".join(sql(k) for k in node.partition_by))
        if node.duration is not None:
            over.append(f"LIMIT {sql(node.duration)}")
        if node.when is not None:
            over.append(f"WHEN {sql(node.when)}")
        return f"{sql(node.call)} OVER ({' '.join(over)})"
    raise TypeError(f"cannot print {type(node).__name__}")


def key_text(node: ast.Node, source_names: frozenset[str]) -> str:
    """SQL text that identifies a GROUP BY key: `Scored.k`, `k` and `K` are the same key (names match
    case-insensitively)."""
    if isinstance(node, ast.Column):
        path = node.path[1:] if len(node.path) > 1 and node.path[0].lower() in source_names else node.path
        return ".".join(path).casefold()
    return sql(node)


@dataclass
class Scope:
    """What names mean inside one SELECT."""

    source_names: frozenset[str]
    functions: frozenset[str]
    udf_calls: list[ast.Call] = field(default_factory=list)
    group_keys: list[str] | None = None
    aggregates: list[ast.Call] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)
    analytics: dict[str, int] | None = None
    """Where analytic functions may appear (a SELECT without GROUP BY, its WHERE): each one's column."""
    joined: frozenset[str] = frozenset()
    """Names of the reference input joined in this SELECT (`r.x` reads its record); the rows are then
    a join table (`join.py`): the stream's rows as the source, the reference records as column 0."""
    javascript: JavaScriptRuntime | None = None
    """The query's JavaScript functions (`udf.<name>(...)` evaluated as scalar functions)."""


_RUNTIME: dict[str, Any] = {
    "_cmp": letter_case.compare_watched,
    "_arith": values.arithmetic,
    "_neg": values.negate,
    "_and": values.logical_and,
    "_or": values.logical_or,
    "_not": values.logical_not,
    "_truth": values.truth_value,
    "_prop": values.record_property,
    "_try_cast": values.try_cast,
    "_cast": values.strict_cast,
    "_dt": values.micros_to_datetime,
    "_like": letter_case.like_watched,
    **{f"_f_{name}": impl for name, (impl, _, _) in SCALARS.items()},
}


ANALYTIC_PLACES = (
    "analytic functions (LAG, LAST, ISFIRST) are supported in the SELECT list and WHERE of a SELECT "
    "without GROUP BY, outside function arguments and other analytic functions"
)


class ExpressionCompiler:
    """Turns one SELECT's expressions into Python expression source over `r` (row), `t` (time)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def expr(self, node: ast.Node) -> str:
        scope = self.scope
        if scope.group_keys is not None and not (
            isinstance(node, ast.Call)
            and node.qualified == "system.timestamp"  # the window end, even as a key
        ):
            key = key_text(node, scope.source_names)
            if key in scope.group_keys:
                return f"K[{scope.group_keys.index(key)}]"
        if isinstance(node, ast.Literal):
            return repr(node.value)
        if isinstance(node, ast.Column):
            return self.column(node)
        if isinstance(node, ast.Star):
            raise PlanError("* is only allowed in the SELECT list or COUNT(*)", node.line, node.column)
        if isinstance(node, ast.Unary):
            inner = self.expr(node.operand)
            return f"_not({inner})" if node.op == "NOT" else f"_neg({inner})"
        if isinstance(node, ast.Binary):
            left, right = self.expr(node.left), self.expr(node.right)
            if node.op == "AND":
                return f"_and({left}, {right})"
            if node.op == "OR":
                return f"_or({left}, {right})"
            place = f"{node.line}, {node.column}, {sql(node)!r}"  # where letter_case reports it
            if node.op in ("=", "<>", "<", ">", "<=", ">="):
                return f"_cmp({node.op!r}, {left}, {right}, {place})"
            if node.op == "LIKE":
                return f"_like({left}, {right}, {place})"
            if node.op == "NOT LIKE":
                return f"_not(_like({left}, {right}, {place}))"
            return f"_arith({node.op!r}, {left}, {right})"
        if isinstance(node, ast.IsNull):
            return f"(({self.expr(node.operand)}) is {'not ' if node.negated else ''}None)"
        if isinstance(node, ast.Case):
            return self.case(node)
        if isinstance(node, ast.Cast):
            type_name = node.type_name
            if not (type_name in values.CAST_TYPES or type_name.startswith("nvarchar")):
                raise PlanError(
                    f"unknown type {type_name} (bigint, float, nvarchar(max), datetime, bit, record, array)",
                    node.line,
                    node.column,
                )
            if node.safe:
                return f"_try_cast({self.expr(node.operand)}, {type_name!r})"
            where = f"CAST at line {node.line}, column {node.column}"
            return f"_cast({self.expr(node.operand)}, {type_name!r}, {where!r})"
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Analytic):
            raise PlanError(ANALYTIC_PLACES, node.line, node.column)
        raise PlanError(f"unsupported expression {type(node).__name__}", node.line, node.column)

    def column(self, node: ast.Column) -> str:
        scope = self.scope
        if scope.group_keys is not None:
            raise PlanError(
                f"{sql(node)} must appear in GROUP BY or inside an aggregate", node.line, node.column
            )
        path = list(node.path)
        if path[0].lower() in scope.source_names:
            if len(path) == 1:
                return "r"  # the whole row as a record, e.g. udf.score(Valid)
            path = path[1:]
        code = f"_prop(r, {path[0]!r})"
        for part in path[1:]:
            code = f"_prop({code}, {part!r})"
        return code

    def case(self, node: ast.Case) -> str:
        code = self.expr(node.default) if node.default is not None else "None"
        for condition, result in reversed(node.whens):
            if node.operand is not None:
                place = f"{node.line}, {node.column}, {sql(node)!r}"
                test = f"_cmp('=', {self.expr(node.operand)}, {self.expr(condition)}, {place})"
            else:
                test = self.expr(condition)
            code = f"({self.expr(result)} if _truth({test}) is True else {code})"
        return code

    def call(self, node: ast.Call) -> str:
        scope = self.scope
        name = node.qualified
        check_call(node, scope)
        if name == "system.timestamp":
            return "E" if scope.group_keys is not None else "_dt(t)"
        if name.startswith("udf."):
            if scope.group_keys is not None:
                raise PlanError(
                    "udf calls are not supported in an aggregating SELECT", node.line, node.column
                )
            scope.udf_calls.append(node)
            return f"U[{len(scope.udf_calls) - 1}][n]"
        if name.startswith("uda."):
            if scope.group_keys is None:
                raise PlanError(
                    f"{'.'.join(node.name)}() needs GROUP BY with a window", node.line, node.column
                )
            return self.register_aggregate(node)
        if name in AGGREGATES:
            if scope.group_keys is None:
                raise PlanError(f"{node.name[-1]}() needs GROUP BY with a window", node.line, node.column)
            if node.distinct and name != "count":
                raise PlanError(f"{node.name[-1]}(DISTINCT ...) is not supported", node.line, node.column)
            if node.star and name != "count":
                raise PlanError(f"{node.name[-1]}(*) is not valid", node.line, node.column)
            if name == "topone":
                if node.args or node.star:
                    raise PlanError("TopOne() takes no arguments", node.line, node.column)
            elif name == "collect":
                if len(node.args) > 1:
                    raise PlanError("Collect() takes at most one argument", node.line, node.column)
            elif not node.star and len(node.args) != 1:
                raise PlanError(f"{node.name[-1]}() takes one argument", node.line, node.column)
            return self.register_aggregate(node)
        return f"_f_{name}({', '.join(self.expr(a) for a in node.args)})"

    def register_aggregate(self, node: ast.Call) -> str:
        """The accumulator slot of an aggregate call (equal calls share one)."""
        key = sql(node)
        existing = [sql(a) for a in self.scope.aggregates]
        if key not in existing:
            self.scope.aggregates.append(node)
            existing.append(key)
        return f"A[{existing.index(key)}]"


def build(source: str, name: str, extra: dict[str, Any] | None = None) -> Callable[..., Any]:
    """Compile generated function source and return the function called `name`."""
    namespace: dict[str, Any] = dict(_RUNTIME)
    if extra:
        namespace.update(extra)
    exec(compile(source, f"<query step {name}>", "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    return function
