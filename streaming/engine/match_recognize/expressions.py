"""DEFINE conditions and MEASURES, compiled once into Python functions (the per-row compiler of
`codegen.py`), over one try's aggregate slots.

The aggregate methods Min, Max, First and Last take one field of one pattern variable (`Max(A.value)`;
the page's limitations: "only field values", "only a single field"); each distinct one is a slot `M[i]`
that a try updates as it binds events. In DEFINE, `V.field` of the variable being defined is the current
event's field; a condition may read aggregates of itself and of the variables defined before it ("Defined
patterns can only be accessed in order"). `Classifier()` (MEASURES only) is the list of the variables the
match's events were bound to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streaming.engine import ast
from streaming.engine.codegen import ExpressionCompiler, Scope, build, sql
from streaming.engine.errors import PlanError
from streaming.engine.match_recognize.syntax import REFERENCE
from streaming.engine.scalars import AGGREGATES

METHODS = ("min", "max", "first", "last")


@dataclass(frozen=True)
class Slot:
    """One aggregate method over one field of one pattern variable (lower-case name)."""

    kind: str
    variable: str
    path: tuple[str, ...]


class PatternExpressions:
    """The slots shared by every DEFINE and MEASURE of one MATCH_RECOGNIZE."""

    def __init__(self, variables: dict[str, str]) -> None:
        self.variables = variables
        """lower-case -> as written in DEFINE."""
        self.slots: list[Slot] = []

    def condition(
        self, node: ast.Node, current: str, visible: frozenset[str]
    ) -> Callable[[Any, list[Any]], bool]:
        """`define(r, M)`: True when the current event `r` may be bound to `current`."""
        code = _Compiler(self, current, visible, classifier=False).expr(node)
        return build(f"def define(r, M):\n    return _truth({code}) is True\n", "define")

    def measure(self, node: ast.Node) -> Callable[[list[Any], list[Any]], Any]:
        """`measure(M, C)`: the value of a match (C: its Classifier() list)."""
        code = _Compiler(self, None, frozenset(self.variables), classifier=True).expr(node)
        return build(f"def measure(M, C):\n    return {code}\n", "measure")

    def slot(self, kind: str, variable: str, path: tuple[str, ...]) -> int:
        found = Slot(kind, variable, tuple(part.casefold() for part in path))
        if found not in self.slots:
            self.slots.append(found)
        return self.slots.index(found)


class _Compiler(ExpressionCompiler):
    def __init__(
        self, owner: PatternExpressions, current: str | None, visible: frozenset[str], classifier: bool
    ) -> None:
        super().__init__(Scope(frozenset(), frozenset()))
        self.owner = owner
        self.current = current
        self.visible = visible
        self.classifier = classifier

    def column(self, node: ast.Column) -> str:
        variable = node.path[0].casefold()
        if self.current is not None and variable == self.current and len(node.path) > 1:
            code = "r"
            for part in node.path[1:]:
                code = f"_prop({code}, {part!r})"
            return code
        if variable in self.owner.variables:
            where = "the variable being defined" if self.current is not None else "MEASURES"
            raise PlanError(
                f"{sql(node)}: read another pattern variable's events with an aggregate method (Min, Max, "
                f"First, Last), not as a field ({where}; {REFERENCE})",
                node.line,
                node.column,
            )
        raise PlanError(
            f"{sql(node)}: qualify fields with a pattern variable (`A.field`) in MATCH_RECOGNIZE",
            node.line,
            node.column,
        )

    def call(self, node: ast.Call) -> str:
        name = node.qualified
        if name in METHODS:
            return f"M[{self.method(node)}]"
        if name == "classifier":
            if not self.classifier:
                raise PlanError("Classifier() is only available in MEASURES", node.line, node.column)
            if node.args or node.star:
                raise PlanError("Classifier() takes no arguments", node.line, node.column)
            return "C"
        if name in AGGREGATES or name.startswith(("uda.", "udf.")) or name == "system.timestamp":
            raise PlanError(
                f"{'.'.join(node.name)}() is not available in MATCH_RECOGNIZE (aggregate methods: Min, Max, "
                f"First, Last; {REFERENCE})",
                node.line,
                node.column,
            )
        return super().call(node)

    def method(self, node: ast.Call) -> int:
        label = node.name[-1]
        if node.star or len(node.args) != 1:
            raise PlanError(
                f"{label}() takes a single field of a pattern variable, e.g. {label}(A.value) ({REFERENCE}: "
                "only a single field can be supplied to an aggregate function)",
                node.line,
                node.column,
            )
        arg = node.args[0]
        if not (isinstance(arg, ast.Column) and len(arg.path) > 1):
            raise PlanError(
                f"{label}() takes a field of a pattern variable, e.g. {label}(A.value) ({REFERENCE}: only "
                "field values can be used for aggregates, no functions or expressions)",
                node.line,
                node.column,
            )
        variable = arg.path[0].casefold()
        if variable not in self.owner.variables:
            raise PlanError(
                f"{arg.path[0]} is not a pattern variable of DEFINE ({', '.join(self.owner.variables.values())})",
                arg.line,
                arg.column,
            )
        if variable not in self.visible:
            raise PlanError(
                f"{arg.path[0]} is defined after {self.owner.variables[self.current or '']}: a definition may "
                f"only read itself and the variables defined before it ({REFERENCE})",
                arg.line,
                arg.column,
            )
        return self.owner.slot(node.qualified, variable, arg.path[1:])
