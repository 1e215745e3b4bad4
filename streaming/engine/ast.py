"""Syntax tree of a parsed query; every node remembers where it starts in the text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streaming.engine.match_recognize.syntax import MatchRecognize


@dataclass(frozen=True)
class Node:
    line: int
    column: int


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Column(Node):
    """A column, a source alias, or a record property path: `amount`, `t.amount`, `result.score`."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class Star(Node):
    qualifier: str | None = None
    path: tuple[str, ...] = ()
    """`a.b.*` (a record of a source, "Parse JSON and Avro data": `i.Location.*`): the whole path."""


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool


@dataclass(frozen=True)
class Case(Node):
    operand: Node | None
    whens: tuple[tuple[Node, Node], ...]
    default: Node | None


@dataclass(frozen=True)
class Cast(Node):
    operand: Node
    type_name: str
    safe: bool


@dataclass(frozen=True)
class Call(Node):
    """A function call: built-in scalar, aggregate, window constructor, `System.Timestamp`, or `udf.x`."""

    name: tuple[str, ...]
    args: tuple[Node, ...]
    star: bool = False
    distinct: bool = False
    order_by: tuple[tuple[Node, bool], ...] = ()
    """`TopOne() OVER (ORDER BY x DESC, ...)`: (expression, descending) pairs."""
    partition_by: tuple[Node, ...] = ()
    """`SessionWindow(...) OVER (PARTITION BY k, ...)`: the keys that get sessions of their own."""

    @property
    def qualified(self) -> str:
        return ".".join(self.name).lower()


@dataclass(frozen=True)
class Analytic(Node):
    """An analytic function: `LAG(x, 1) OVER (PARTITION BY k LIMIT DURATION(hour, 1) WHEN c)`, `LAST`,
    `ISFIRST(minute, 10) [OVER (PARTITION BY k WHEN c)]`; `duration` is the DURATION(unit, n) call."""

    call: Call
    partition_by: tuple[Node, ...]
    duration: Call | None
    when: Node | None


@dataclass(frozen=True)
class SelectItem(Node):
    expr: Node
    alias: str | None


@dataclass(frozen=True)
class Apply(Node):
    """`CROSS APPLY GetArrayElements(expr) AS alias` (or GetRecordProperties): one row per element."""

    function: str
    argument: Node
    alias: str


@dataclass(frozen=True)
class Join(Node):
    """`[INNER | LEFT [OUTER]] JOIN name [AS alias] [TIMESTAMP BY expr] ON condition`."""

    kind: str  # "inner" or "left"
    name: str
    alias: str | None
    condition: Node
    timestamp_by: Node | None = None


@dataclass(frozen=True)
class Source(Node):
    name: str
    alias: str | None
    timestamp_by: Node | None
    apply: Apply | None = None
    join: Join | None = None
    timestamp_over: tuple[Node, ...] = ()
    """`TIMESTAMP BY expr OVER k, ...`: the substream keys (each key tuple its own timeline)."""
    match_recognize: MatchRecognize | None = None


@dataclass(frozen=True)
class Select(Node):
    items: tuple[SelectItem, ...]
    into: str | None
    source: Source
    where: Node | None
    group_by: tuple[Node, ...]
    having: Node | None
    into_position: tuple[int, int] = field(default=(0, 0))


@dataclass(frozen=True)
class Step(Node):
    name: str
    select: Select


@dataclass(frozen=True)
class Query(Node):
    steps: tuple[Step, ...]
    statements: tuple[Select, ...]


def walk(node: Node) -> Iterator[Node]:
    """Yield `node` and every node below it, depth first."""
    yield node
    children: list[Any] = []
    if isinstance(node, Unary):
        children = [node.operand]
    elif isinstance(node, Binary):
        children = [node.left, node.right]
    elif isinstance(node, IsNull | Cast):
        children = [node.operand]
    elif isinstance(node, Case):
        children = [node.operand, node.default] + [part for pair in node.whens for part in pair]
    elif isinstance(node, Call):
        children = list(node.args) + [expression for expression, _ in node.order_by]
    elif isinstance(node, Analytic):
        children = [node.call, *node.partition_by, node.when]
    elif isinstance(node, SelectItem):
        children = [node.expr]
    for child in children:
        if child is not None:
            yield from walk(child)
