"""Planner: `ast.Query` -> `Plan`, a DAG of steps from inputs to outputs with compiled expressions.

Checks names (inputs, steps, outputs, functions), windows and the supported subset; any refusal is a
`PlanError` naming line and column. `Plan.explain()` prints the DAG.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from itertools import compress
from typing import Any

from streaming.engine import ast, letter_case, statistical_aggregates
from streaming.engine.analytics import AnalyticSpec
from streaming.engine.codegen import ExpressionCompiler, Scope, build, key_text, sql
from streaming.engine.columnar import Batch, ColumnarCompiler, to_list, truth
from streaming.engine.dynamic_windows import DYNAMIC_KINDS
from streaming.engine.errors import ExecutionError, PlanError
from streaming.engine.functions import FunctionBinding
from streaming.engine.javascript import JavaScriptFunction, JavaScriptRuntime
from streaming.engine.join import JOIN_LAYOUT, Joiner, key_properties, split_condition
from streaming.engine.match_recognize.matcher import PatternSpec
from streaming.engine.match_recognize.planning import pattern_spec
from streaming.engine.parser import ANALYTIC_AGGREGATES
from streaming.engine.scalars import AGGREGATES
from streaming.engine.stream_join import TimeBound, has_time_bound, split_time_bound
from streaming.engine.table import Layout, Part, Table, json_column
from streaming.engine.values import json_bytes, to_timestamp, to_timestamps
from streaming.engine.windows import WindowSpec, interval_length, is_snapshot, is_window_call, window_spec

DEFAULT_OUTPUT = "output"


@dataclass(frozen=True)
class InputStep:
    """An input alias and how its events get their time."""

    alias: str
    timestamp_by: ast.Node | None
    timestamp: Callable[[Table, list[int]], list[Any]] | None
    """The TIMESTAMP BY values of a batch (given its rows and arrival times)."""
    substream: Callable[[Table, list[int]], list[tuple[Any, ...]]] | None = None
    """`TIMESTAMP BY ... OVER k, ...`: each event's substream key (its own timeline)."""
    over_keys: tuple[str, ...] = ()
    """The OVER expressions as GROUP BY key texts (`key_text`): aggregates must group by them."""

    def event_times(self, payloads: list[dict[str, Any]], arrivals_us: list[int]) -> list[int | None]:
        """Each event's time in microseconds: its TIMESTAMP BY value (None: not a time), else its arrival."""
        if self.timestamp is None:
            return list(arrivals_us)
        return to_timestamps(self.timestamp(Table.of_records(payloads), arrivals_us))

    def explain(self) -> str:
        how = f"TIMESTAMP BY {sql(self.timestamp_by)}" if self.timestamp_by else "arrival time"
        if self.over_keys:
            how += f" OVER {', '.join(self.over_keys)} (substreams)"
        return f"Input {self.alias} ({how})"


@dataclass(frozen=True)
class SelectStep:
    """Filter -> function calls -> projection, over batches."""

    name: str
    source: str
    output: str | None
    where: Callable[..., Any] | None
    udf_names: tuple[str, ...]
    udf_args: tuple[Callable[[Table, list[int]], list[bytes]], ...]
    """Each function call's argument per row, encoded as JSON (the records a request carries)."""
    project: Callable[..., Any] | None
    description: tuple[str, ...]
    analytics: tuple[AnalyticSpec, ...] = ()
    """LAG/LAST/ISFIRST call sites, evaluated on every row before the filter."""
    expand: Callable[[Table, list[int]], tuple[Table, list[int]]] | None = None
    """CROSS APPLY: one row per array element or record property, before everything else."""
    join: Joiner | None = None
    """Reference-data JOIN, before everything else."""
    recognize: PatternSpec | None = None
    """MATCH_RECOGNIZE (`match_recognize/`): the step's rows are the matches its source's rows complete."""


@dataclass(frozen=True)
class AggregateStep:
    """Filter -> window + group -> aggregates -> HAVING -> projection, emitted when a window closes."""

    name: str
    source: str
    output: str | None
    where: Callable[..., Any] | None
    window: WindowSpec
    keys: Callable[..., Any]
    aggregate_kinds: tuple[str, ...]
    aggregate_args: tuple[Callable[..., Any] | None, ...]
    having: Callable[..., Any] | None
    project: Callable[..., Any]
    description: tuple[str, ...]
    expand: Callable[[Table, list[int]], tuple[Table, list[int]]] | None = None
    join: Joiner | None = None
    session_keys: Callable[..., Any] | None = None
    """`SessionWindow(...) OVER (PARTITION BY k, ...)`: each row's partition key."""
    substream_positions: tuple[int, ...] | None = None
    """Over an input with `TIMESTAMP BY ... OVER`: where the OVER keys are among the GROUP BY keys, so
    each group's windows close by its own substream's watermark."""


@dataclass(frozen=True)
class StreamJoinStep:
    """A JOIN of two streams (`stream_join.py`): its rows, a join table (left rows as the source, right
    records as column 0), feed the SELECT step named `consumer`."""

    name: str
    source: str
    """The left (FROM) side: an input alias or a step."""
    right: str
    kind: str
    bound: TimeBound
    condition: Callable[[Batch], Any] | None
    description: tuple[str, ...]
    output: None = None


Step = SelectStep | AggregateStep | StreamJoinStep


@dataclass(frozen=True)
class Plan:
    """A compiled query: inputs, steps in dependency order, outputs, and the functions it calls."""

    text: str
    inputs: dict[str, InputStep]
    steps: tuple[Step, ...]
    outputs: tuple[str, ...]
    functions: dict[str, FunctionBinding] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    """Reference inputs joined by the query (`Engine.load_reference` gives their rows)."""
    javascript: JavaScriptRuntime | None = None
    """The node process of the query's JavaScript functions (started at the first call)."""

    def reference_named(self, alias: str) -> str | None:
        """The query's spelling of a reference input, matched case-insensitively."""
        folded = alias.casefold()
        return next((name for name in self.references if name.casefold() == folded), None)

    def input_named(self, alias: str) -> str | None:
        """The query's spelling of an input alias, matched case-insensitively (as the service does)."""
        if alias in self.inputs:
            return alias
        folded = alias.casefold()
        return next((name for name in self.inputs if name.casefold() == folded), None)

    def consumers(self, name: str) -> list[Step]:
        return [
            step
            for step in self.steps
            if step.source == name or (isinstance(step, StreamJoinStep) and step.right == name)
        ]

    def explain(self) -> str:
        """A readable DAG: one block per step, naming its source and its operators in order."""
        lines = [step.explain() for step in self.inputs.values()]
        lines.extend(f"Reference {name}" for name in self.references)
        for step in self.steps:
            target = f" INTO {step.output}" if step.output else ""
            sources = f"{step.source}, {step.right}" if isinstance(step, StreamJoinStep) else step.source
            lines.append(f"Step {step.name}{target} <- {sources}")
            lines.extend(f"  {part}" for part in step.description)
        for name in self.outputs:
            sources = ", ".join(s.name for s in self.steps if s.output == name)
            lines.append(f"Output {name} <- {sources}")
        return "\n".join(lines)


def plan(query: ast.Query, text: str, functions: Mapping[str, FunctionBinding | JavaScriptFunction]) -> Plan:
    """Build the plan; refuses unknown names and unsupported constructs with line and column."""
    bindings = {name: f for name, f in functions.items() if isinstance(f, FunctionBinding)}
    scripts = {name: f for name, f in functions.items() if isinstance(f, JavaScriptFunction)}
    return _Planner(query, text, bindings, JavaScriptRuntime(scripts) if scripts else None).build()


class _Planner:
    def __init__(
        self,
        query: ast.Query,
        text: str,
        functions: dict[str, FunctionBinding],
        javascript: JavaScriptRuntime | None,
    ) -> None:
        self.query = query
        self.text = text
        self.functions = functions
        self.javascript = javascript
        self.inputs: dict[str, InputStep] = {}
        self.steps: list[Step] = []
        self.step_names: dict[str, str] = {}  # lower-case -> as written
        self.later_steps = {s.name.lower(): s for s in query.steps}
        self.references: dict[str, str] = {}  # lower-case -> as written
        self.over_roots: dict[str, str] = {}
        """Steps (and inputs) that read an input with `TIMESTAMP BY ... OVER`: name -> that input."""

    def build(self) -> Plan:
        plan = self.build_steps()
        with_over = sorted(alias for alias, step in self.inputs.items() if step.over_keys)
        if with_over and len(with_over) != len(self.inputs):
            raise PlanError(
                f"TIMESTAMP BY ... OVER is on {', '.join(with_over)} but not on every input: it must be used "
                'for all inputs of the query or for none ("TIMESTAMP BY" reference page)',
                1,
                1,
            )
        return plan

    def build_steps(self) -> Plan:
        for step in self.query.steps:
            if step.name.lower() in self.step_names:
                raise PlanError(f"step {step.name} is defined twice", step.line, step.column)
            self.later_steps.pop(step.name.lower())
            self.steps.append(self.select(step.select, step.name, None))
            self.step_names[step.name.lower()] = step.name
        outputs: list[str] = []
        for index, select in enumerate(self.query.statements, start=1):
            output = select.into or DEFAULT_OUTPUT
            self.steps.append(self.select(select, f"#{index}", output))
            if output not in outputs:
                outputs.append(output)
        return Plan(
            self.text,
            self.inputs,
            tuple(self.steps),
            tuple(outputs),
            self.functions,
            tuple(self.references.values()),
            self.javascript,
        )

    def resolve_source(self, source: ast.Source) -> str:
        key = source.name.lower()
        if key in self.step_names:
            if source.timestamp_by is not None:
                raise PlanError(
                    "TIMESTAMP BY belongs on an input, not on a step",
                    source.timestamp_by.line,
                    source.timestamp_by.column,
                )
            return self.step_names[key]
        if key in self.later_steps:
            raise PlanError(f"step {source.name} is used before it is defined", source.line, source.column)
        if key in self.references:
            raise PlanError(
                f"{source.name} is read both as a stream and as reference data", source.line, source.column
            )
        existing = next((step for alias, step in self.inputs.items() if alias.lower() == key), None)
        names = frozenset({source.name.lower(), (source.alias or source.name).lower()})
        over_keys = tuple(key_text(node, names) for node in source.timestamp_over)
        if existing is not None:
            if sql(existing.timestamp_by) != sql(source.timestamp_by) or existing.over_keys != over_keys:
                raise PlanError(
                    f"input {source.name} is read with two different TIMESTAMP BY clauses",
                    source.line,
                    source.column,
                )
            return existing.alias
        timestamp = None
        if source.timestamp_by is not None:
            scope = Scope(
                frozenset({source.name.lower(), (source.alias or source.name).lower()}), frozenset()
            )
            evaluator = ColumnarCompiler(scope).compile(source.timestamp_by)
            if scope.udf_calls:
                raise PlanError("TIMESTAMP BY cannot call a function", source.line, source.column)
            timestamp = _column_function(evaluator)
        substream = None
        if source.timestamp_over:
            scope = Scope(names, frozenset())
            compiler = ColumnarCompiler(scope)
            keys = [_column_function(compiler.compile(node)) for node in source.timestamp_over]
            if scope.udf_calls:
                raise PlanError("TIMESTAMP BY ... OVER cannot call a function", source.line, source.column)

            def substream(rows: Table, arrivals: list[int]) -> list[tuple[Any, ...]]:
                return list(zip(*(key(rows, arrivals) for key in keys), strict=True))

        self.inputs[source.name] = InputStep(
            source.name, source.timestamp_by, timestamp, substream, over_keys
        )
        return source.name

    def scope(self, select: ast.Select, analytics: dict[str, int] | None = None) -> Scope:
        names = {select.source.name.lower()}
        if select.source.alias:
            names.add(select.source.alias.lower())
        join = select.source.join
        joined = frozenset({join.name.lower(), (join.alias or join.name).lower()}) if join else frozenset()
        return self.new_scope(frozenset(names), analytics=analytics, joined=joined)

    def new_scope(self, names: frozenset[str], **options: Any) -> Scope:
        return Scope(names, frozenset(self.functions), javascript=self.javascript, **options)

    def joiner(self, select: ast.Select) -> Joiner | None:
        join = select.source.join
        if join is None:
            return None
        key = join.name.lower()
        name = self.references.setdefault(key, join.name)
        reference_names = frozenset({key, (join.alias or join.name).lower()})
        stream_nodes, reference_nodes, others = split_condition(join, reference_names)
        stream_scope = replace(self.scope(select), joined=frozenset())
        reference_scope = self.new_scope(reference_names)
        stream_compiler, reference_compiler = (
            ColumnarCompiler(stream_scope),
            ColumnarCompiler(reference_scope),
        )
        stream_keys = [stream_compiler.compile(node) for node in stream_nodes]
        reference_keys = [reference_compiler.compile(node) for node in reference_nodes]
        condition = None
        if others:
            scope = self.scope(select)
            rest = others[0]
            for node in others[1:]:
                rest = ast.Binary(rest.line, rest.column, "AND", rest, node)
            condition = ColumnarCompiler(scope).compile(rest)
            if scope.udf_calls:
                call = scope.udf_calls[0]
                raise PlanError("call functions in a SELECT list, not in ON", call.line, call.column)
        if stream_scope.udf_calls or reference_scope.udf_calls:
            call = (stream_scope.udf_calls + reference_scope.udf_calls)[0]
            raise PlanError("call functions in a SELECT list, not in ON", call.line, call.column)
        return Joiner(
            name,
            join.kind,
            stream_keys,
            reference_keys,
            condition,
            key_properties(reference_nodes, reference_names),
        )

    def analytics(self, select: ast.Select) -> tuple[dict[str, int], list[AnalyticSpec]]:
        """The analytic calls of a SELECT without GROUP BY (its list and WHERE), each compiled once."""
        slots: dict[str, int] = {}
        specs: list[AnalyticSpec] = []
        roots: list[ast.Node] = [item.expr for item in select.items]
        if select.where is not None:
            roots.append(select.where)
        for root in roots:
            for node in ast.walk(root):
                if isinstance(node, ast.Analytic) and sql(node) not in slots:
                    slots[sql(node)] = len(specs)
                    specs.append(self.analytic_spec(node, select))
        return slots, specs

    @staticmethod
    def limit_duration(node: ast.Analytic) -> int:
        duration = node.duration
        assert duration is not None  # the parser requires LIMIT DURATION but for ISFIRST
        if duration.qualified != "duration":
            raise PlanError("expected LIMIT DURATION(unit, length)", duration.line, duration.column)
        return interval_length(duration.args, duration)

    def analytic_spec(self, node: ast.Analytic, select: ast.Select) -> AnalyticSpec:
        call = node.call
        kind = call.qualified
        scope = self.scope(select)  # without analytic slots: nested analytic calls are refused
        compiler = ColumnarCompiler(scope)
        value = default = None
        offset = 0
        if kind == "isfirst":
            span = interval_length(call.args, call)
        elif kind in ANALYTIC_AGGREGATES:
            span = self.limit_duration(node)
            if call.star:
                kind = "count*"
            elif len(call.args) != 1:
                raise PlanError(f"{call.name[-1]}() takes one argument", call.line, call.column)
            else:
                value = compiler.compile(call.args[0])
        else:
            span = self.limit_duration(node)
            most = 3 if kind == "lag" else 2
            args = list(call.args)
            if call.star:
                source = select.source.alias or select.source.name
                args.insert(0, ast.Column(call.line, call.column, (source,)))  # the whole event
            if not 1 <= len(args) <= most:
                raise PlanError(f"{call.name[-1]}() takes 1..{most} arguments", call.line, call.column)
            value = compiler.compile(args[0])
            if kind == "lag":
                offset = 1
                if len(args) > 1:
                    given = args[1]
                    if not (isinstance(given, ast.Literal) and type(given.value) is int and given.value >= 1):
                        raise PlanError("the LAG offset is an integer >= 1", given.line, given.column)
                    offset = given.value
            rest = args[2:] if kind == "lag" else args[1:]
            if rest:
                default = compiler.compile(rest[0])
        partition_by = tuple(compiler.compile(key) for key in node.partition_by)
        when = compiler.compile(node.when) if node.when is not None else None
        if scope.udf_calls:
            inner = scope.udf_calls[0]
            raise PlanError("analytic functions cannot call udf. functions", inner.line, inner.column)
        return AnalyticSpec(kind, value, offset, default, partition_by, when, span, sql(node))

    def is_stream_join(self, select: ast.Select) -> bool:
        """A JOIN of two streams: the joined name is a step or an input read as a stream, it has a
        TIMESTAMP BY, or ON bounds the two sources in time (the JOIN's DATEDIFF). Otherwise reference data."""
        join = select.source.join
        if join is None:
            return False
        key = join.name.lower()
        return (
            key in self.step_names
            or key in self.later_steps
            or any(alias.lower() == key for alias in self.inputs)
            or join.timestamp_by is not None
            or has_time_bound(join.condition, self.scope(select).source_names, _join_names(join))
        )

    def stream_join(self, select: ast.Select, name: str, left: str) -> StreamJoinStep:
        join = select.source.join
        assert join is not None
        right_source = ast.Source(join.line, join.column, join.name, join.alias, join.timestamp_by)
        right = self.resolve_source(right_source)
        for item in select.items:
            if isinstance(item.expr, ast.Star) and item.expr.qualifier is None:
                raise PlanError(
                    'SELECT * cannot be used with a JOIN of two streams ("JOIN" reference page); name '
                    "the columns",
                    item.line,
                    item.column,
                )
        scope = self.scope(select)
        bound, rest = split_time_bound(join, scope.source_names, _join_names(join))
        condition = ColumnarCompiler(scope).compile(rest) if rest is not None else None
        if scope.udf_calls:
            call = scope.udf_calls[0]
            raise PlanError("call functions in a SELECT list, not in ON", call.line, call.column)
        kind = "LeftJoin" if join.kind == "left" else "Join"
        described = (
            f"Stream{kind} {join.name} ON {sql(join.condition)} "
            f"(right time - left time in [{bound.low / 1e6:g} s, {bound.high / 1e6:g} s])",
        )
        return StreamJoinStep(f"{name}:join", left, right, join.kind, bound, condition, described)

    def select(self, select: ast.Select, name: str, output: str | None) -> Step:
        if select.having is not None and not select.group_by:
            select = _having_as_where(select)
        source = self.resolve_source(select.source)
        stream = self.is_stream_join(select)
        over_root = source if self.inputs.get(source) and self.inputs[source].over_keys else None
        over_root = over_root or self.over_roots.get(source)
        if over_root is not None:
            self.over_roots[name] = over_root
            if select.source.join is not None:
                join = select.source.join
                raise PlanError(
                    "a JOIN is not supported on an input with TIMESTAMP BY ... OVER (reference data JOIN is not "
                    'allowed with it, "TIMESTAMP BY" reference page; a stream JOIN of substreams is not '
                    "implemented locally)",
                    join.line,
                    join.column,
                )
        if select.source.match_recognize is not None:
            return self.match_recognize(select, name, output, source, over_root)
        if stream:
            join_step = self.stream_join(select, name, source)
            self.steps.append(join_step)
            source = join_step.name
        windows = [g for g in select.group_by if is_window_call(g)]
        if not windows:
            windows = [g for g in select.group_by if is_snapshot(g)][:1]
        if select.group_by and len(windows) != 1:
            node = select.group_by[0]
            raise PlanError(
                "GROUP BY needs exactly one window (TumblingWindow, HoppingWindow or System.Timestamp())",
                node.line,
                node.column,
            )
        expand = self.expansion(select)
        joiner = None if stream else self.joiner(select)
        if windows:
            step = self.aggregate(select, name, output, source, self.where(select), windows[0])
            if over_root is not None:
                positions = self.substream_positions(select, step, source, over_root, windows[0])
                step = replace(step, substream_positions=positions)
            return replace(
                step, expand=expand, join=joiner, description=_applied(select, step.description, stream)
            )
        slots, analytics = self.analytics(select)
        if analytics and over_root is not None:
            raise PlanError(
                "LAG, LAST and ISFIRST over TIMESTAMP BY ... OVER substreams are not supported by the local "
                "engine (substreams are not in one time order)",
                select.line,
                select.column,
            )
        where = self.where(select, slots)
        scope = self.scope(select, slots)
        compiler = ColumnarCompiler(scope)
        parts: list[Part] = []
        evaluators = []
        described: list[str] = []
        for item in select.items:
            if isinstance(item.expr, ast.Star):
                qualifier = item.expr.qualifier
                if item.expr.path:  # `s.record.*`: the record's properties
                    evaluators.append(compiler.compile(ast.Column(item.line, item.column, item.expr.path)))
                    parts.append(Part("spread", slot=len(evaluators) - 1))
                elif (
                    qualifier is not None
                    and select.source.join is not None
                    and qualifier.lower() in scope.source_names
                ):
                    # `s.*` beside a JOIN: the stream's own event, not the joined row
                    evaluators.append(_joined_stream_records(select, item))
                    parts.append(Part("spread", slot=len(evaluators) - 1))
                elif qualifier is None or qualifier.lower() in scope.source_names:
                    parts.append(Part("source"))
                else:
                    evaluators.append(compiler.compile(ast.Column(item.line, item.column, (qualifier,))))
                    parts.append(Part("spread", slot=len(evaluators) - 1))
                described.append(sql(item.expr))
                continue
            alias = self.alias(item)
            evaluators.append(compiler.compile(item.expr))
            parts.append(Part("column", alias, len(evaluators) - 1))
            described.append(f"{sql(item.expr)} AS {alias}")
        project = None
        if parts != [Part("source")]:
            project = _projection(Layout(parts), evaluators)
        udf_args = []
        udf_names = []
        description = [f"Analytic {spec.text}" for spec in analytics]
        if select.where is not None:
            description.append(f"Filter {sql(select.where)}")
        for call in scope.udf_calls:
            arg_scope = self.scope(select)
            udf_args.append(_json_argument(call.args[0], ColumnarCompiler(arg_scope), arg_scope))
            if arg_scope.udf_calls:
                inner = arg_scope.udf_calls[0]
                raise PlanError(
                    "function calls cannot be nested; call the inner one in an earlier step",
                    inner.line,
                    inner.column,
                )
            function = ".".join(call.name[1:])
            udf_names.append(function)
            binding = self.functions[function]
            description.append(
                f"CallFunction udf.{function}({sql(call.args[0])}) batch={binding.batch_size} "
                f"parallel={binding.parallel_requests}"
            )
        description.append("Project " + ", ".join(described) if project else "Project *")
        return SelectStep(
            name,
            source,
            output,
            where,
            tuple(udf_names),
            tuple(udf_args),
            project,
            _applied(select, tuple(description), stream),
            tuple(analytics),
            expand,
            joiner,
        )

    def match_recognize(
        self, select: ast.Select, name: str, output: str | None, source: str, over_root: str | None
    ) -> SelectStep:
        over_keys = None
        if over_root is not None:
            if source != over_root:
                raise PlanError(
                    f"MATCH_RECOGNIZE over a later step of {over_root} (read with TIMESTAMP BY ... OVER) is not "
                    "supported by the local engine: use it in the step that reads the input",
                    select.source.line,
                    select.source.column,
                )
            over_keys = self.inputs[over_root].over_keys
        spec, described = pattern_spec(select, self.scope(select).source_names, over_keys)
        return SelectStep(name, source, output, None, (), (), None, (described, "Project *"), recognize=spec)

    def substream_positions(
        self, select: ast.Select, step: AggregateStep, source: str, over_root: str, window_call: ast.Node
    ) -> tuple[int, ...]:
        """Where the input's OVER keys are among the GROUP BY keys ("TIMESTAMP BY" reference page: they
        must be grouping keys), so that each group belongs to one substream."""
        node = select.group_by[0]
        if source != over_root:
            raise PlanError(
                f"aggregate {over_root} (read with TIMESTAMP BY ... OVER) in the step that reads it: windows "
                "over a later step of substreams are not supported by the local engine",
                node.line,
                node.column,
            )
        if step.window.kind in DYNAMIC_KINDS:
            raise PlanError(
                "sliding and session windows over TIMESTAMP BY ... OVER substreams are not supported by the "
                "local engine",
                node.line,
                node.column,
            )
        group_scope = self.scope(select)
        keys = [key_text(g, group_scope.source_names) for g in select.group_by if g is not window_call]
        over = self.inputs[over_root].over_keys
        missing = [key for key in over if key not in keys]
        if missing:
            raise PlanError(
                f"GROUP BY must include the TIMESTAMP BY ... OVER keys ({', '.join(missing)} missing; "
                '"TIMESTAMP BY" reference page)',
                node.line,
                node.column,
            )
        return tuple(keys.index(key) for key in over)

    def expansion(self, select: ast.Select) -> Callable[[Table, list[int]], tuple[Table, list[int]]] | None:
        apply = select.source.apply
        if apply is None:
            return None
        scope = self.scope(select)
        argument = ColumnarCompiler(scope).compile(apply.argument)
        if scope.udf_calls:
            call = scope.udf_calls[0]
            raise PlanError("call functions in a step before CROSS APPLY", call.line, call.column)
        return _expansion(apply, argument)

    def where(self, select: ast.Select, analytics: dict[str, int] | None = None) -> Callable[..., Any] | None:
        if select.where is None:
            return None
        scope = self.scope(select, analytics)
        condition = ColumnarCompiler(scope).compile(select.where)
        if scope.udf_calls:
            call = scope.udf_calls[0]
            raise PlanError("call functions in a SELECT list, not in WHERE", call.line, call.column)

        def where(
            rows: Table, times: list[int], analytic: list[list[Any]] | None = None
        ) -> tuple[Table, list[int], list[list[Any]]]:
            """The rows (and their analytic values, computed before the filter) where the condition holds."""
            columns = analytic or []
            mask = truth(condition(Batch(rows, times, [], columns)), rows.size)
            if mask.all():
                return rows, times, columns
            kept = mask.tolist()
            return rows.take(mask), list(compress(times, kept)), [list(compress(c, kept)) for c in columns]

        return where

    @staticmethod
    def alias(item: ast.SelectItem) -> str:
        if item.alias:
            return item.alias
        if isinstance(item.expr, ast.Column):
            return item.expr.path[-1]
        if isinstance(item.expr, ast.Call) and item.expr.qualified in AGGREGATES:
            # an unnamed aggregate is named after its function: the "Snapshot window" page reads the
            # `COUNT(*)` of a step as `count`
            return item.expr.name[-1].lower()
        raise PlanError("give this expression a name with AS", item.line, item.column)

    def aggregate(
        self,
        select: ast.Select,
        name: str,
        output: str | None,
        source: str,
        where: Callable[..., Any] | None,
        window_call: ast.Node,
    ) -> AggregateStep:
        assert isinstance(window_call, ast.Call)
        window = window_spec(window_call)
        row_compiler = ColumnarCompiler(self.scope(select))
        key_nodes = [g for g in select.group_by if g is not window_call]
        key_evaluators = []
        for node in key_nodes:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and inner.qualified in AGGREGATES:
                    raise PlanError("aggregates are not allowed in GROUP BY", inner.line, inner.column)
            key_evaluators.append(_column_function(row_compiler.compile(node)))
        session_evaluators = [
            _column_function(row_compiler.compile(node)) for node in window_call.partition_by
        ]
        if row_compiler.scope.udf_calls:
            call = row_compiler.scope.udf_calls[0]
            raise PlanError("call functions in a SELECT list, not in GROUP BY", call.line, call.column)
        session_keys = None
        if session_evaluators:

            def session_keys(rows: Table, times: list[int]) -> list[tuple[Any, ...]]:
                return list(zip(*(key(rows, times) for key in session_evaluators), strict=True))

        def keys(rows: Table, times: list[int]) -> list[tuple[Any, ...]]:
            if not key_evaluators:
                return [()] * rows.size
            columns = [key(rows, times) for key in key_evaluators]
            watch = letter_case.active()  # query tests: keys split by letter case (decision 0021)
            if watch is not None:
                for node, column in zip(key_nodes, columns, strict=True):
                    watch.check_group_key(node.line, node.column, sql(node), column)
            return list(zip(*columns, strict=True))

        group_scope = self.scope(select)
        group_scope.group_keys = [key_text(node, group_scope.source_names) for node in key_nodes]
        compiler = ExpressionCompiler(group_scope)
        items = []
        described = []
        for item in select.items:
            if isinstance(item.expr, ast.Star):
                raise PlanError("SELECT * is not allowed with GROUP BY", item.line, item.column)
            alias = self.alias(item)
            items.append(f"{alias!r}: {compiler.expr(item.expr)}")
            described.append(f"{sql(item.expr)} AS {alias}")
        having = None
        if select.having is not None:
            aliases = {self.alias(item).casefold(): item.expr for item in select.items}
            condition = _with_aliases(select.having, aliases, set(group_scope.group_keys))
            having_code = compiler.expr(condition)
            having = build(f"def having(K, A, E):\n    return _truth({having_code}) is True\n", "having")
        project = build(f"def project(K, A, E):\n    return {{{', '.join(items)}}}\n", "project")
        kinds = []
        args: list[Callable[..., Any] | None] = []
        for call in group_scope.aggregates:
            kind = call.qualified
            if call.star:
                kinds.append("count*")
                args.append(None)
                continue
            arg_scope = self.scope(select)
            if kind == "topone":
                kinds.append(kind)
                args.append(_ranked_rows(call, select, arg_scope))
                continue
            if kind == "collecttop":
                kinds.append(statistical_aggregates.collect_top_kind(_collect_top_count(call)))
                args.append(_ranked_rows(call, select, arg_scope, nulls_first=True))
                continue
            if kind == "collect" and not call.args:  # Collect(): every event as a record
                kinds.append(kind)
                args.append(_source_records(call, select, arg_scope))
                continue
            if kind in statistical_aggregates.PERCENTILES:
                fraction, (order_by, descending) = _percentile(call)
                kinds.append(statistical_aggregates.percentile_kind(kind, fraction, descending))
                args.append(_column_function(ColumnarCompiler(arg_scope).compile(order_by)))
                if arg_scope.udf_calls:
                    raise PlanError(
                        "call functions in a step before aggregating them", call.line, call.column
                    )
                continue
            if kind.startswith("uda."):  # a JavaScript aggregate: each row's (value, event time)
                kinds.append("uda:" + ".".join(call.name[1:]))
                args.append(_timed(_column_function(ColumnarCompiler(arg_scope).compile(call.args[0]))))
                if arg_scope.udf_calls:
                    raise PlanError(
                        "call functions in a step before aggregating them", call.line, call.column
                    )
                continue
            argument = ColumnarCompiler(arg_scope).compile(call.args[0])
            if arg_scope.udf_calls:
                raise PlanError("call functions in a step before aggregating them", call.line, call.column)
            kinds.append("count_distinct" if call.distinct else kind)
            args.append(_column_function(argument))
        description = [f"Filter {sql(select.where)}"] if select.where is not None else []
        description.append(
            f"Aggregate {window.describe()} keys=[{', '.join(group_scope.group_keys)}] "
            f"aggregates=[{', '.join(sql(c) for c in group_scope.aggregates)}]"
        )
        if select.having is not None:
            description.append(f"Having {sql(select.having)}")
        description.append("Project " + ", ".join(described))
        return AggregateStep(
            name,
            source,
            output,
            where,
            window,
            keys,
            tuple(kinds),
            tuple(args),
            having,
            project,
            tuple(description),
            session_keys=session_keys,
        )


def _timed(values: Callable[[Table, list[int]], list[Any]]) -> Callable[[Table, list[int]], list[Any]]:
    """A JavaScript aggregate's input: (value, event time in microseconds) per row, never None."""

    def timed(rows: Table, times: list[int]) -> list[Any]:
        return list(zip(values(rows, times), times, strict=True))

    return timed


def _percentile(call: ast.Call) -> tuple[float, tuple[ast.Node, bool]]:
    """PERCENTILE_CONT/DISC's fraction (a number literal from 0 to 1) and its one ORDER BY expression
    ("Percentile_Cont": "The value must range between 0 and 1", "Only one order_by_expression")."""
    name = call.name[-1]
    literal = call.args[0]
    value = literal.value if isinstance(literal, ast.Literal) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise PlanError(f"{name}() needs a number from 0 to 1", literal.line, literal.column)
    if len(call.order_by) != 1:
        raise PlanError(f"{name}() needs OVER (ORDER BY one expression)", call.line, call.column)
    return float(value), call.order_by[0]


def _collect_top_count(call: ast.Call) -> int:
    """CollectTop's "number of events as integer literal" (at least 1), with OVER (ORDER BY ...)."""
    literal = call.args[0]
    value = literal.value if isinstance(literal, ast.Literal) else None
    if type(value) is not int or value < 1:
        raise PlanError("CollectTop() needs an integer literal >= 1", literal.line, literal.column)
    if not call.order_by:
        raise PlanError("CollectTop() needs OVER (ORDER BY column [ASC|DESC], ...)", call.line, call.column)
    return value


def _source_records(
    call: ast.Call, select: ast.Select, scope: Scope
) -> Callable[[Table, list[int]], list[Any]]:
    """Collect()'s input: each row of the source as a record."""
    source = select.source.alias or select.source.name
    record = _column_function(ColumnarCompiler(scope).compile(ast.Column(call.line, call.column, (source,))))
    if scope.udf_calls:
        inner = scope.udf_calls[0]
        raise PlanError("call functions in a step before Collect()", inner.line, inner.column)
    return record


def _ranked_rows(
    call: ast.Call, select: ast.Select, scope: Scope, nulls_first: bool = False
) -> Callable[[Table, list[int]], list[Any]]:
    """TopOne's and CollectTop's input: per row, (its ORDER BY keys made comparable, the row as a record).
    Keys are bigint, float or datetime ("TopOne", "CollectTop"); ISO-8601 text is read as datetime. A
    NULL key: for TopOne the row is not ranked (None); with `nulls_first` (CollectTop: "Null is treated
    as the minimal value") it sorts before every value, after them in DESC order."""
    name = call.name[-1]
    compiler = ColumnarCompiler(scope)
    source = select.source.alias or select.source.name
    record = _column_function(compiler.compile(ast.Column(call.line, call.column, (source,))))
    keys = [(_column_function(compiler.compile(key)), descending) for key, descending in call.order_by]
    if scope.udf_calls:
        inner = scope.udf_calls[0]
        raise PlanError(f"call functions in a step before {name}()", inner.line, inner.column)
    where = f"{name}() at line {call.line}, column {call.column}"

    def rank(value: Any, descending: bool) -> Any:
        if isinstance(value, str):
            stamp = to_timestamp(value)
            if stamp is None:
                raise ExecutionError(f"{where}: ORDER BY {value!r} is not a number or a datetime")
            value = stamp
        elif isinstance(value, datetime):
            value = to_timestamp(value)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ExecutionError(f"{where}: ORDER BY {value!r} is not a number or a datetime")
        return -value if descending else value

    def null_ranked(value: Any, descending: bool) -> Any:
        if value is None:
            return [1, 0] if descending else [0, 0]
        return [0, rank(value, descending)] if descending else [1, rank(value, descending)]

    def ranked(rows: Table, times: list[int]) -> list[Any]:
        columns = [(key(rows, times), descending) for key, descending in keys]
        result: list[tuple[list[Any], Any] | None] = []
        for position, row in enumerate(record(rows, times)):
            values = [(column[position], descending) for column, descending in columns]
            if nulls_first:
                result.append(([null_ranked(value, descending) for value, descending in values], row))
            elif any(value is None for value, _ in values):
                result.append(None)
            else:
                result.append(([rank(value, descending) for value, descending in values], row))
        return result

    return ranked


def _join_names(join: ast.Join) -> frozenset[str]:
    return frozenset({join.name.lower(), (join.alias or join.name).lower()})


def _applied(select: ast.Select, description: tuple[str, ...], stream_join: bool) -> tuple[str, ...]:
    apply, join = select.source.apply, select.source.join
    if apply is not None:
        description = (f"CrossApply {apply.function}({sql(apply.argument)}) AS {apply.alias}", *description)
    if join is not None and not stream_join:
        kind = "LeftJoin" if join.kind == "left" else "Join"
        description = (f"{kind} reference {join.name} ON {sql(join.condition)}", *description)
    return description


def _expansion(
    apply: ast.Apply, argument: Callable[[Batch], Any]
) -> Callable[[Table, list[int]], tuple[Table, list[int]]]:
    """CROSS APPLY GetArrayElements(x) AS a: a row per element, `a` = {ArrayIndex, ArrayValue};
    GetRecordProperties(x) AS a: a row per property, `a` = {PropertyName, PropertyValue} ("APPLY",
    "GetArrayElements", "GetRecordProperties" reference pages). A row whose value is NULL, an empty array
    or record, gives no row (CROSS APPLY); a value of another type fails the step."""
    arrays = apply.function == "getarrayelements"
    layout = Layout([Part("source"), Part("column", apply.alias, 0)])
    where = f"CROSS APPLY {apply.function} at line {apply.line}, column {apply.column}"

    def expand(rows: Table, times: list[int]) -> tuple[Table, list[int]]:
        positions: list[int] = []
        elements: list[dict[str, Any]] = []
        for position, value in enumerate(to_list(argument(Batch(rows, times, [])), rows.size)):
            if value is None:
                continue
            if arrays and isinstance(value, list):
                for index, item in enumerate(value):
                    positions.append(position)
                    elements.append({"ArrayIndex": index, "ArrayValue": item})
            elif not arrays and isinstance(value, dict):
                for key, item in value.items():
                    positions.append(position)
                    elements.append({"PropertyName": key, "PropertyValue": item})
            else:
                wanted = "an array" if arrays else "a record"
                raise ExecutionError(f"{where}: needs {wanted}, got {value!r}")
        picked = rows.pick(positions)
        return Table(len(positions), picked, [elements], layout), [times[i] for i in positions]

    return expand


def _having_as_where(select: ast.Select) -> ast.Select:
    """ "When GROUP BY is not used, HAVING behaves like a WHERE clause" ("HAVING" page): the condition
    joins WHERE with AND; as with GROUP BY, it may name a SELECT item by its alias."""
    having = select.having
    assert having is not None
    aliases = {item.alias.casefold(): item.expr for item in select.items if item.alias}
    condition = _with_aliases(having, aliases, set())
    where = (
        condition
        if select.where is None
        else ast.Binary(having.line, having.column, "AND", select.where, condition)
    )
    return replace(select, where=where, having=None)


def _with_aliases(node: ast.Node, aliases: dict[str, ast.Node], keys: set[str]) -> ast.Node:
    """HAVING may name a SELECT item by its alias (the query-patterns article's `HAVING [Count] >= 3`):
    such a name, unless it is a GROUP BY key, stands for the item's expression."""
    if isinstance(node, ast.Column):
        name = node.path[0].casefold()
        if len(node.path) == 1 and name in aliases and name not in keys:
            return aliases[name]
        return node
    if isinstance(node, ast.Call) and node.qualified in AGGREGATES:
        return node  # inside an aggregate a name is the input's column
    changes: dict[str, Any] = {}  # a field's new value: a node or a tuple of nodes (or of node tuples)
    for item in fields(node):
        value = getattr(node, item.name)
        if isinstance(value, ast.Node):
            changes[item.name] = _with_aliases(value, aliases, keys)
        elif isinstance(value, tuple) and value and all(isinstance(v, ast.Node | tuple) for v in value):
            changes[item.name] = tuple(
                _with_aliases(v, aliases, keys)
                if isinstance(v, ast.Node)
                else tuple(_with_aliases(w, aliases, keys) for w in v)
                for v in value
            )
    return replace(node, **changes) if changes else node


def _column_function(evaluator: Callable[[Batch], Any]) -> Callable[[Table, list[int]], list[Any]]:
    """An evaluator as `f(rows, times) -> list` (function arguments, group keys, aggregate inputs)."""

    def column(rows: Table, times: list[int]) -> list[Any]:
        return to_list(evaluator(Batch(rows, times, [])), rows.size)

    return column


def _json_argument(
    node: ast.Node, compiler: ColumnarCompiler, scope: Scope
) -> Callable[[Table, list[int]], list[bytes]]:
    """A function argument as one JSON document per row. The whole source row (`udf.score(Step)`, the
    usual argument) comes from the table's own encoder; any other value is encoded value by value."""
    evaluator = compiler.compile(node)
    if isinstance(node, ast.Column) and len(node.path) == 1 and node.path[0].lower() in scope.source_names:
        return lambda rows, times: rows.json_lines()
    values = _column_function(evaluator)

    def encoded(rows: Table, times: list[int]) -> list[bytes]:
        return [json_bytes(value) for value in json_column(values(rows, times), rows.size)]

    return encoded


def _joined_stream_records(select: ast.Select, item: ast.SelectItem) -> Callable[[Batch], Any]:
    """The stream side's events of a joined table (JOIN_LAYOUT: the stream rows are its source, the
    joined side's records its column), for `s.*` in a SELECT with a JOIN."""

    def records(batch: Batch) -> list[dict[str, Any]]:
        rows = batch.rows
        if rows.layout is not JOIN_LAYOUT:
            raise ExecutionError(
                f"line {item.line}, column {item.column}: {sql(item.expr)} reads a table that is not a JOIN's"
            )
        source = rows.source
        return source.records() if isinstance(source, Table) else list(source or [])

    return records


def _projection(layout: Layout, evaluators: list[Callable[[Batch], Any]]) -> Callable[..., Table]:
    """Evaluate every SELECT column over the batch; the result keeps them as columns (see `table`)."""

    def project(rows: Table, times: list[int], udf: list[list[Any]], analytic: list[list[Any]]) -> Table:
        batch = Batch(rows, times, udf, analytic)
        values = [evaluator(batch) for evaluator in evaluators]
        return Table(rows.size, rows if layout.has_source else None, values, layout)

    return project
