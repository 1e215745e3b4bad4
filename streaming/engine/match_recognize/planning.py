"""The step a SELECT with MATCH_RECOGNIZE becomes: checks of the page's rules, then a `PatternSpec`."""

from __future__ import annotations

from streaming.engine import ast
from streaming.engine.codegen import Scope, key_text, sql
from streaming.engine.columnar import ColumnarCompiler
from streaming.engine.errors import PlanError
from streaming.engine.match_recognize.automaton import compile_pattern
from streaming.engine.match_recognize.expressions import PatternExpressions
from streaming.engine.match_recognize.matcher import PatternSpec
from streaming.engine.match_recognize.syntax import REFERENCE, MatchRecognize, pattern_names, pattern_text
from streaming.engine.windows import interval_length


def check_select(select: ast.Select) -> MatchRecognize:
    """The SELECT around MATCH_RECOGNIZE: `SELECT * [INTO o] FROM source [TIMESTAMP BY t] MATCH_RECOGNIZE
    (...) AS alias` and nothing else (the page's syntax: SELECT_star_query_definition)."""
    recognize = select.source.match_recognize
    assert recognize is not None
    item = select.items[0]
    if len(select.items) != 1 or not (isinstance(item.expr, ast.Star) and item.expr.qualifier is None):
        bad = next((i for i in select.items if not isinstance(i.expr, ast.Star)), select.items[-1])
        raise PlanError(
            f"a SELECT with MATCH_RECOGNIZE selects * (its MEASURES are the columns; {REFERENCE}); "
            "select columns in a later step",
            bad.line,
            bad.column,
        )
    extras: list[tuple[str, ast.Node | None]] = [
        ("WHERE", select.where),
        ("GROUP BY", select.group_by[0] if select.group_by else None),
        ("JOIN", select.source.join),
        ("CROSS APPLY", select.source.apply),
    ]
    for clause, node in extras:
        if node is not None:
            raise PlanError(
                f"{clause} is not supported with MATCH_RECOGNIZE by the local engine; use it in a later step "
                "that reads this one",
                node.line,
                node.column,
            )
    return recognize


def pattern_spec(
    select: ast.Select, source_names: frozenset[str], over_keys: tuple[str, ...] | None
) -> tuple[PatternSpec, str]:
    """The compiled MATCH_RECOGNIZE of `select` and its EXPLAIN line. `over_keys`: the substream keys of
    the input it reads (TIMESTAMP BY ... OVER), which PARTITION BY must name."""
    recognize = check_select(select)
    duration = recognize.duration
    span = interval_length(duration.args, duration)
    if span <= 0:
        raise PlanError("LIMIT DURATION must be positive", duration.line, duration.column)
    partition_by = None
    key = recognize.partition_by
    if key is not None:
        scope = Scope(source_names, frozenset())
        partition_by = ColumnarCompiler(scope).compile(key)
    if over_keys is not None:
        named = [key_text(key, source_names)] if key is not None else []
        if list(over_keys) != named:
            node: ast.Node = key if key is not None else recognize
            raise PlanError(
                f"with TIMESTAMP BY ... OVER {', '.join(over_keys)}, MATCH_RECOGNIZE must PARTITION BY the same "
                "key (each substream is its own timeline; the query-patterns example partitions by its OVER key)",
                node.line,
                node.column,
            )
    names = _variables(recognize)
    expressions = PatternExpressions(names)
    defines = {}
    visible: set[str] = set()
    for definition in recognize.definitions:
        variable = definition.name.casefold()
        visible.add(variable)
        defines[variable] = expressions.condition(definition.condition, variable, frozenset(visible))
    seen: set[str] = set()
    for item in recognize.measures:
        alias = (item.alias or "").casefold()
        if alias in seen:
            raise PlanError(f"two measures are named {item.alias}", item.line, item.column)
        seen.add(alias)
    measures = tuple((item.alias or "", expressions.measure(item.expr)) for item in recognize.measures)
    spec = PatternSpec(
        compile_pattern(recognize.pattern),
        span,
        partition_by,
        defines,
        tuple(expressions.slots),
        measures,
        names,
        "MATCH_RECOGNIZE",
    )
    partition = f" PARTITION BY {sql(key)}" if key is not None else ""
    described = (
        f"MatchRecognize LIMIT {sql(duration)}{partition} PATTERN ({pattern_text(recognize.pattern)}) "
        f"MEASURES {', '.join(f'{sql(i.expr)} AS {i.alias}' for i in recognize.measures)} "
        "AFTER MATCH SKIP TO NEXT ROW"
    )
    return spec, described


def _variables(recognize: MatchRecognize) -> dict[str, str]:
    """lower-case -> as written: each DEFINE once, and every variable of the pattern defined."""
    names: dict[str, str] = {}
    for definition in recognize.definitions:
        folded = definition.name.casefold()
        if folded in names:
            raise PlanError(f"{definition.name} is defined twice", definition.line, definition.column)
        names[folded] = definition.name
    for name in pattern_names(recognize.pattern):
        assert name.name is not None
        if name.name.casefold() not in names:
            raise PlanError(
                f"pattern variable {name.name} has no DEFINE (every variable of PATTERN needs one; `.` "
                "matches any event)",
                name.line,
                name.column,
            )
    return names
