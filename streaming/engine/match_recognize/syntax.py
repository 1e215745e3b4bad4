"""The MATCH_RECOGNIZE clause's syntax, as the reference page gives it:

    MATCH_RECOGNIZE (
        LIMIT DURATION (unit, n)
        [PARTITION BY column]
        MEASURES expression AS alias [, ...]
        AFTER MATCH SKIP TO NEXT ROW
        PATTERN ( <pattern> )
        DEFINE name AS condition [, ...]
    ) AS alias

Clauses may come in any order (the preview page and the current one order them differently), each once.
Pattern: alternation `|`, concatenation, `( ... )`, a name or `.` (any event), quantifiers `*`, `+`, `?`
(reference page) and `{n}`, `{n,}`, `{n,m}` (the query-patterns article's `Warning{2,}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from streaming.engine import ast
from streaming.engine.tokens import Token, TokenType

if TYPE_CHECKING:
    from streaming.engine.parser import _Parser

REFERENCE = '"MATCH_RECOGNIZE (Azure Stream Analytics)" reference page'


@dataclass(frozen=True)
class PatternName(ast.Node):
    """A pattern variable, or `.` (name None): any event."""

    name: str | None


@dataclass(frozen=True)
class Sequence(ast.Node):
    items: tuple[PatternNode, ...]


@dataclass(frozen=True)
class Alternation(ast.Node):
    options: tuple[PatternNode, ...]


@dataclass(frozen=True)
class Repeat(ast.Node):
    """`item{low,high}`; high None: no upper bound (`*` is {0,}, `+` {1,}, `?` {0,1})."""

    item: PatternNode
    low: int
    high: int | None


PatternNode = PatternName | Sequence | Alternation | Repeat


@dataclass(frozen=True)
class Definition(ast.Node):
    name: str
    condition: ast.Node


@dataclass(frozen=True)
class MatchRecognize(ast.Node):
    duration: ast.Call
    partition_by: ast.Column | None
    measures: tuple[ast.SelectItem, ...]
    pattern: PatternNode
    definitions: tuple[Definition, ...]
    alias: str


_CLAUSES = ("LIMIT", "PARTITION", "MEASURES", "AFTER", "PATTERN", "DEFINE")


def parse_match_recognize(parser: _Parser) -> MatchRecognize:
    """`MATCH_RECOGNIZE ( ... ) AS alias`, the parser at MATCH_RECOGNIZE."""
    start = parser.advance()
    parser.expect_operator("(")
    seen: dict[str, Token] = {}
    duration: ast.Call | None = None
    partition_by: ast.Column | None = None
    measures: list[ast.SelectItem] = []
    pattern: PatternNode | None = None
    definitions: list[Definition] = []
    parser.pattern_clause = True  # LAST(...) is an aggregate method here, not the analytic LAST
    try:
        while not parser.at_operator(")"):
            token = parser.current
            clause = token.upper
            if clause not in _CLAUSES:
                parser.fail(
                    f"expected a MATCH_RECOGNIZE clause ({', '.join(_CLAUSES)}), found {token.describe()}"
                )
            if clause in seen:
                parser.fail(f"{clause} appears twice in MATCH_RECOGNIZE")
            seen[clause] = token
            parser.advance()
            if clause == "LIMIT":
                duration = _duration(parser)
            elif clause == "PARTITION":
                partition_by = _partition(parser)
            elif clause == "MEASURES":
                measures = _measures(parser)
            elif clause == "AFTER":
                _skip(parser)
            elif clause == "PATTERN":
                parser.expect_operator("(")
                pattern = _alternation(parser)
                parser.expect_operator(")")
            else:
                definitions = _definitions(parser)
        end = parser.expect_operator(")")
    finally:
        parser.pattern_clause = False
    for clause, what in (
        ("LIMIT", "LIMIT DURATION (unit, n)"),
        ("MEASURES", "MEASURES"),
        ("AFTER", "AFTER MATCH SKIP TO NEXT ROW (its default is undocumented)"),
        ("PATTERN", "PATTERN"),
        ("DEFINE", "DEFINE"),
    ):
        if clause not in seen:
            parser.fail(f"MATCH_RECOGNIZE needs {what} ({REFERENCE})", end)
    parser.accept_keyword("AS")
    alias = parser.name("an alias for the MATCH_RECOGNIZE result (`) AS alias`)").text
    assert duration is not None and pattern is not None
    return MatchRecognize(
        start.line, start.column, duration, partition_by, tuple(measures), pattern, tuple(definitions), alias
    )


def _duration(parser: _Parser) -> ast.Call:
    token = parser.current
    if token.upper != "DURATION":
        parser.fail(f"expected LIMIT DURATION (unit, n), found {token.describe()}")
    parser.advance()
    parser.expect_operator("(")
    args = [parser.expression()]
    while parser.accept_operator(","):
        args.append(parser.expression())
    parser.expect_operator(")")
    return ast.Call(token.line, token.column, ("DURATION",), tuple(args))


def _partition(parser: _Parser) -> ast.Column:
    parser.expect_keyword("BY")
    token = parser.current
    key = parser.expression()
    if not isinstance(key, ast.Column):
        parser.fail("MATCH_RECOGNIZE PARTITION BY takes a column name (" + REFERENCE + ")", token)
    if parser.at_operator(","):
        parser.fail("MATCH_RECOGNIZE PARTITION BY takes one column (" + REFERENCE + ")")
    assert isinstance(key, ast.Column)
    return key


def _measures(parser: _Parser) -> list[ast.SelectItem]:
    items = []
    while True:
        token = parser.current
        expression = parser.expression()
        parser.expect_keyword("AS")
        alias = parser.name("a measure name").text
        items.append(ast.SelectItem(token.line, token.column, expression, alias))
        if not parser.accept_operator(","):
            return items


def _skip(parser: _Parser) -> None:
    parser.expect_keyword("MATCH")
    parser.expect_keyword("SKIP")
    token = parser.current
    if token.upper == "PAST":
        parser.fail(
            "AFTER MATCH SKIP PAST LAST ROW is not available in Stream Analytics (the reference page: "
            '"AFTER MATCH SKIP TO NEXT ROW ... is the only skip clause available")'
        )
    parser.expect_keyword("TO")
    parser.expect_keyword("NEXT")
    parser.expect_keyword("ROW")


def _definitions(parser: _Parser) -> list[Definition]:
    found = []
    while True:
        name = parser.name("a pattern variable")
        parser.expect_keyword("AS")
        found.append(Definition(name.line, name.column, name.text, parser.expression()))
        if not parser.accept_operator(","):
            return found


def _alternation(parser: _Parser) -> PatternNode:
    start = parser.current
    options = [_sequence(parser)]
    while parser.accept_operator("|"):
        options.append(_sequence(parser))
    return options[0] if len(options) == 1 else Alternation(start.line, start.column, tuple(options))


def _sequence(parser: _Parser) -> PatternNode:
    start = parser.current
    items = [_atom(parser)]
    while not parser.at_operator(")", "|"):
        items.append(_atom(parser))
    return items[0] if len(items) == 1 else Sequence(start.line, start.column, tuple(items))


def _atom(parser: _Parser) -> PatternNode:
    token = parser.current
    item: PatternNode
    if parser.accept_operator("("):
        item = _alternation(parser)
        parser.expect_operator(")")
    elif parser.accept_operator("."):
        item = PatternName(token.line, token.column, None)
    elif token.type in (TokenType.IDENTIFIER, TokenType.QUOTED_IDENTIFIER):
        parser.advance()
        item = PatternName(token.line, token.column, token.text)
    else:
        parser.fail(f"expected a pattern variable, `.` or `(`, found {token.describe()}")
        raise AssertionError  # unreachable: fail() raises
    quantifier = parser.current
    if parser.accept_operator("*"):
        return Repeat(quantifier.line, quantifier.column, item, 0, None)
    if parser.accept_operator("+"):
        return Repeat(quantifier.line, quantifier.column, item, 1, None)
    if parser.accept_operator("?"):
        return Repeat(quantifier.line, quantifier.column, item, 0, 1)
    if parser.accept_operator("{"):
        low = _bound(parser)
        high: int | None = low
        if parser.accept_operator(","):
            high = None if parser.at_operator("}") else _bound(parser)
        parser.expect_operator("}")
        if high is not None and (high < low or high == 0):
            parser.fail(
                f"{{{low},{high}}} repeats nothing: the upper bound must be >= 1 and >= the lower", quantifier
            )
        return Repeat(quantifier.line, quantifier.column, item, low, high)
    return item


def _bound(parser: _Parser) -> int:
    token = parser.current
    if token.type is not TokenType.NUMBER or not token.text.isdigit():
        parser.fail(f"expected a whole number of repetitions, found {token.describe()}")
    parser.advance()
    return int(token.text)


def pattern_text(node: PatternNode) -> str:
    """The pattern as text (EXPLAIN)."""
    if isinstance(node, PatternName):
        return node.name or "."
    if isinstance(node, Sequence):
        return " ".join(_grouped(item) for item in node.items)
    if isinstance(node, Alternation):
        return " | ".join(pattern_text(option) for option in node.options)
    inner = _grouped(node.item)
    if (node.low, node.high) == (0, None):
        return inner + "*"
    if (node.low, node.high) == (1, None):
        return inner + "+"
    if (node.low, node.high) == (0, 1):
        return inner + "?"
    if node.high == node.low:
        return f"{inner}{{{node.low}}}"
    return f"{inner}{{{node.low},{'' if node.high is None else node.high}}}"


def _grouped(node: PatternNode) -> str:
    return f"({pattern_text(node)})" if isinstance(node, Sequence | Alternation) else pattern_text(node)


def pattern_names(node: PatternNode) -> list[PatternName]:
    """Every variable the pattern names (not `.`), in order."""
    if isinstance(node, PatternName):
        return [node] if node.name is not None else []
    if isinstance(node, Repeat):
        return pattern_names(node.item)
    children = node.items if isinstance(node, Sequence) else node.options
    return [name for child in children for name in pattern_names(child)]
