"""Executor: runs a `Plan` over batches of input events, one method per operator.

State lives in two places: each input's clock (ordering buffer, per-partition watermarks) and each
aggregate's open windows. `snapshot()` returns both as JSON-safe data and `restore()` puts them back, so a
runtime that saves the snapshot together with the input offsets it commits resumes exactly (see README).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from streaming.engine import statistical_aggregates
from streaming.engine.analytics import AnalyticState
from streaming.engine.codegen import sql
from streaming.engine.columnar import Batch
from streaming.engine.dynamic_windows import DYNAMIC_KINDS, DynamicWindows
from streaming.engine.errors import EngineError, ExecutionError, StateError
from streaming.engine.functions import FunctionCaller, Transport
from streaming.engine.join import EARLIEST, Joiner, Snapshot, missing_key
from streaming.engine.match_recognize.matcher import MatchState
from streaming.engine.ordering import EARLY_ARRIVAL_LIMIT, NEVER, EventOrdering, InputClock
from streaming.engine.planner import AggregateStep, InputStep, Plan, SelectStep, StreamJoinStep
from streaming.engine.stream_join import StreamJoinState
from streaming.engine.table import Table
from streaming.engine.values import datetime_to_micros, micros_to_datetime

SNAPSHOT_VERSION = 1
_NUMBERS = frozenset({int, float})


@dataclass(frozen=True)
class InputEvent:
    """One event as read from an input: its JSON payload, when it arrived, and its partition."""

    payload: dict[str, Any]
    arrival_time: datetime
    partition: int = 0


class OutputRecord(NamedTuple):
    """One row written to an output alias; `timestamp_us` is its System.Timestamp().

    A named tuple: an output batch creates one per row, and tuples are the cheapest to build.
    """

    output: str
    payload: dict[str, Any]
    timestamp_us: int

    @property
    def timestamp(self) -> datetime:
        return micros_to_datetime(self.timestamp_us)


class OutputBatch(NamedTuple):
    """Rows one step wrote to an output in one call, and each row's System.Timestamp(). Outputs fed by
    the same step share one table: its payloads (or JSON lines) are built once."""

    output: str
    rows: Table
    timestamps_us: list[int]

    @property
    def payloads(self) -> list[dict[str, Any]]:
        """The rows as dicts of JSON values."""
        return self.rows.payloads()

    def json_lines(self) -> list[bytes]:
        """The rows as compact UTF-8 JSON, one line each."""
        return self.rows.json_lines()


def records(batches: Iterable[OutputBatch]) -> list[OutputRecord]:
    """Output batches as one record per row, in order (for row-wise readers: query tests, tests)."""
    return [
        OutputRecord(batch.output, payload, stamp)
        for batch in batches
        for payload, stamp in zip(batch.payloads, batch.timestamps_us, strict=True)
    ]


@dataclass
class _Windows:
    """Open windows of one aggregate step: (window end, group key) -> accumulators."""

    open: dict[tuple[int, tuple[Any, ...]], list[Any]] = field(default_factory=dict)
    closed_until: int = NEVER
    late_rows: int = 0
    closed_by: dict[int, int] = field(default_factory=dict)
    """With substreams (`TIMESTAMP BY ... OVER`): each substream's closed-until time."""


class Engine:
    """A running query: feed it events with `process`, move idle time with `advance`, end with `flush`."""

    def __init__(
        self,
        plan: Plan,
        ordering: EventOrdering | None = None,
        transport: Transport | None = None,
        partitions: Mapping[str, Iterable[int]] | None = None,
        **caller_options: Any,
    ) -> None:
        self.plan = plan
        self.ordering = ordering or EventOrdering()
        named = {
            plan.input_named(alias) or alias: list(numbers) for alias, numbers in (partitions or {}).items()
        }
        self.clocks = {
            # with substreams the clock's "partitions" are the OVER keys, not the input's partitions
            alias: InputClock(
                self.ordering, step.timestamp is not None, [] if step.substream else named.get(alias, [])
            )
            for alias, step in plan.inputs.items()
        }
        aggregates = [step for step in plan.steps if isinstance(step, AggregateStep)]
        self.windows = {step.name: _Windows() for step in aggregates if step.window.kind not in DYNAMIC_KINDS}
        self.dynamic = {
            step.name: DynamicWindows(step.window) for step in aggregates if step.window.kind in DYNAMIC_KINDS
        }
        self.analytics = {
            step.name: [AnalyticState(spec) for spec in step.analytics]
            for step in plan.steps
            if isinstance(step, SelectStep) and step.analytics
        }
        self.matches = {
            step.name: MatchState(step.recognize)
            for step in plan.steps
            if isinstance(step, SelectStep) and step.recognize is not None
        }
        self.joins = {
            step.name: StreamJoinState(step.kind, step.bound, step.condition, step.name)
            for step in plan.steps
            if isinstance(step, StreamJoinStep)
        }
        self.step_inputs: dict[str, frozenset[str]] = {}
        for step in plan.steps:
            sources = [step.source, step.right] if isinstance(step, StreamJoinStep) else [step.source]
            self.step_inputs[step.name] = frozenset().union(
                *(self.step_inputs.get(source, frozenset({source})) for source in sources)
            )
        self.substreams: dict[str, dict[tuple[Any, ...], int]] = {
            alias: {} for alias, step in plan.inputs.items() if step.substream is not None
        }
        """Per input with `TIMESTAMP BY ... OVER`: substream key -> its number (a "partition" of the clock)."""
        self.substream_partitions: dict[str, dict[int, set[int]]] = {alias: {} for alias in self.substreams}
        self._ended: set[str] = set()
        """Inputs whose end `flush` has reached: their watermark is past every time."""
        self.references: dict[str, list[Snapshot]] = {}
        self.joiners: dict[str, list[Joiner]] = {}
        for step in plan.steps:
            join = getattr(step, "join", None)
            if isinstance(join, Joiner):
                self.joiners.setdefault(join.name, []).append(join)
        """Per reference input, its snapshots in the order of the times they are valid from."""
        self.callers: dict[str, FunctionCaller] = {}
        used = {name for step in plan.steps if isinstance(step, SelectStep) for name in step.udf_names}
        if used and transport is None:
            raise EngineError(f"the query calls udf.{sorted(used)[0]}: give the engine a transport")
        for name in used:
            self.callers[name] = FunctionCaller(plan.functions[name], transport, **caller_options)  # type: ignore[arg-type]

    # -- public surface --------------------------------------------------------------------------------
    def process(self, input_alias: str, events: Sequence[InputEvent]) -> list[OutputBatch]:
        """Take a batch of events from one input; returns every output row they (and the watermark) release."""
        return self.process_columns(
            input_alias,
            [event.payload for event in events],
            [datetime_to_micros(event.arrival_time) for event in events],
            [event.partition for event in events],
        )

    def process_columns(
        self,
        input_alias: str,
        payloads: list[dict[str, Any]],
        arrivals_us: list[int],
        partitions: list[int],
        rejected: list[tuple[int, str]] | None = None,
    ) -> list[OutputBatch]:
        """`process` for a batch given as columns: payloads, arrival times (microseconds), partitions.

        Events that never enter the query (no usable TIMESTAMP BY time, or early: counted as
        `no_timestamp` and `early_dropped`) are appended to `rejected` as (index, reason) when given.
        """
        alias = self.plan.input_named(input_alias)
        if alias is None:
            raise EngineError(f"unknown input {input_alias!r}; the query reads {sorted(self.plan.inputs)}")
        input_alias, input_step = alias, self.plan.inputs[alias]
        if not len(payloads) == len(arrivals_us) == len(partitions):
            raise EngineError(
                f"input {input_alias!r}: {len(payloads)} payloads, {len(arrivals_us)} arrival times "
                f"and {len(partitions)} partitions"
            )
        clock = self.clocks[input_alias]
        event_times = input_step.event_times(payloads, arrivals_us)
        if rejected is not None and input_step.timestamp_by is not None:
            rejected.extend(_timestamp_rejections(input_step, event_times, arrivals_us))
        if input_step.substream is not None:
            payloads, arrivals_us, partitions, event_times = self._substreams(
                input_step, payloads, arrivals_us, partitions, event_times, rejected
            )
        clock.accept_columns(partitions, event_times, arrivals_us, payloads)
        return self._release(input_alias, flush=False)

    def _substreams(
        self,
        step: InputStep,
        payloads: list[dict[str, Any]],
        arrivals_us: list[int],
        partitions: list[int],
        event_times: list[int | None],
        rejected: list[tuple[int, str]] | None,
    ) -> tuple[list[dict[str, Any]], list[int], list[int], list[int | None]]:
        """`TIMESTAMP BY ... OVER`: each event goes to its substream's timeline (the clock's "partition"),
        so out-of-order handling and the watermark are per substream ("TIMESTAMP BY" reference page, OVER
        clause interacts with event ordering); an event with a NULL key is dropped."""
        assert step.substream is not None
        ids = self.substreams[step.alias]
        seen = self.substream_partitions[step.alias]
        keys = step.substream(Table.of_records(payloads), arrivals_us)
        kept: list[int] = []
        numbers: list[int] = []
        for index, (key, partition) in enumerate(zip(keys, partitions, strict=True)):
            if None in key:
                if rejected is not None and event_times[index] is not None:
                    rejected.append(
                        (index, f"TIMESTAMP BY ... OVER {', '.join(step.over_keys)}: the key is NULL")
                    )
                self.clocks[step.alias].counters.no_timestamp += 1
                continue
            try:
                number = ids.setdefault(key, len(ids))
            except TypeError as exc:
                raise ExecutionError(
                    f"input {step.alias}: TIMESTAMP BY ... OVER keys must be scalars: {exc}"
                ) from exc
            seen.setdefault(number, set()).add(partition)
            kept.append(index)
            numbers.append(number)
        if len(kept) == len(payloads):
            return payloads, arrivals_us, numbers, event_times
        return (
            [payloads[i] for i in kept],
            [arrivals_us[i] for i in kept],
            numbers,
            [event_times[i] for i in kept],
        )

    def load_reference(
        self,
        alias: str,
        rows: Sequence[dict[str, Any]],
        valid_from: datetime | None = None,
        source: str = "",
    ) -> None:
        """The rows of a reference input: what a reference JOIN looks up.

        Without `valid_from` they replace every earlier snapshot and apply to every event time; with it,
        they apply to rows whose time is at or after it (earlier rows keep the previous snapshot). A row
        that lacks a property the ON keys read fails here (`ExecutionError` naming `source` and the row),
        never as an empty join later.
        """
        name = self.plan.reference_named(alias)
        if name is None:
            raise EngineError(
                f"unknown reference input {alias!r}; the query joins {sorted(self.plan.references)}"
            )
        rows = list(rows)
        where = source or f"reference input {name}"
        for joiner in self.joiners.get(name, ()):
            for number, row in enumerate(rows, start=1):
                missing = missing_key(row, joiner.key_properties)
                if missing is not None:
                    raise ExecutionError(
                        f"reference input {name}: {where}, row {number} has no {missing!r}, a key of "
                        f"the JOIN ON (its properties: {sorted(row)})"
                    )
        snapshot = Snapshot(EARLIEST if valid_from is None else datetime_to_micros(valid_from), rows, where)
        loaded = self.references.setdefault(name, [])
        if valid_from is None:
            loaded.clear()
        elif loaded and snapshot.valid_from_us <= loaded[-1].valid_from_us:
            raise EngineError(
                f"reference input {name}: {where} is valid from {valid_from.isoformat()}, not after the "
                f"snapshot loaded last ({loaded[-1].source}); snapshots only go forward in time"
            )
        loaded.append(snapshot)
        # Rows yet to come are not earlier than the lowest watermark (earlier ones are adjusted or dropped):
        # older snapshots than the one valid there are never read again.
        lowest = min((clock.watermark for clock in self.clocks.values()), default=NEVER)
        reachable = sum(1 for s in loaded if s.valid_from_us <= lowest)
        del loaded[: max(reachable - 1, 0)]

    def advance(self, now: datetime) -> list[OutputBatch]:
        """Idle progress: no event arrived until `now` (arrival time); watermarks move to `now - L`."""
        outputs: list[OutputBatch] = []
        now_us = datetime_to_micros(now)
        for alias, clock in self.clocks.items():
            clock.advance_clock(now_us)
            outputs.extend(self._release(alias, flush=False))
        return outputs

    def advance_partitions(self, input_alias: str, arrivals_us: Mapping[int, int]) -> list[OutputBatch]:
        """Idle progress of some partitions of one input: partition -> estimated arrival clock (us).

        `advance` moves every partition to one clock: right when nothing is waiting anywhere (a query
        test's end). A reader of a log calls this instead, only for partitions whose backlog is read,
        so that a backlog's windows close by the enqueue times of its events, not by the wall clock.
        """
        clock = self.clocks.get(input_alias)
        if clock is None:
            raise EngineError(f"unknown input {input_alias!r}; the query reads {sorted(self.plan.inputs)}")
        if input_alias in self.substreams:  # a substream moves when every partition it came from does
            arrivals_us = {
                number: min(arrivals_us[p] for p in seen)
                for number, seen in self.substream_partitions[input_alias].items()
                if seen <= arrivals_us.keys()
            }
        clock.advance_partitions(arrivals_us)
        return self._release(input_alias, flush=False)

    def flush(self) -> list[OutputBatch]:
        """End of input (query tests): release buffered events and close every open window."""
        outputs: list[OutputBatch] = []
        for alias in self.clocks:
            self._ended.add(alias)
            outputs.extend(self._release(alias, flush=True))
        self._ended.clear()
        return outputs

    def counters(self) -> dict[str, Any]:
        """Ordering and function-call counters, for metrics and logs."""
        return {
            "inputs": {
                alias: {**vars(clock.counters), "buffered": clock.pending(), "watermark_us": clock.watermark}
                for alias, clock in self.clocks.items()
            },
            "windows": {
                **{name: {"open": len(w.open), "late_rows": w.late_rows} for name, w in self.windows.items()},
                **{name: {"open": len(d.rows), "late_rows": d.late_rows} for name, d in self.dynamic.items()},
            },
            "functions": {name: vars(caller.counters).copy() for name, caller in self.callers.items()},
            "stream_joins": {name: {"buffered": j.pending_count()} for name, j in self.joins.items()},
            "match_recognize": {name: {"tries": m.pending()} for name, m in self.matches.items()},
        }

    def close(self) -> None:
        for caller in self.callers.values():
            caller.close()
        if self.plan.javascript is not None:
            self.plan.javascript.close()

    # -- operators ----------------------------------------------------------------------------------------
    def _release(self, alias: str, flush: bool) -> list[OutputBatch]:
        clock = self.clocks[alias]
        released = clock.release(flush=flush)
        outputs: list[OutputBatch] = []
        if released:
            times = [t for t, _ in released]
            rows = Table.of_records([payload for _, payload in released])
            self._push(alias, rows, times, outputs)
        for step in self.plan.steps:
            if alias not in self.step_inputs[step.name] or isinstance(step, SelectStep):
                continue
            if isinstance(step, AggregateStep) and step.substream_positions is not None:
                rows, times = self._close_substream_windows(step, alias)
            elif isinstance(step, AggregateStep):
                rows, times = self._close_windows(step, self._watermark(self.step_inputs[step.name]))
            else:
                rows, times = self.joins[step.name].release(
                    self._watermark(self.step_inputs.get(step.source, frozenset({step.source}))),
                    self._watermark(self.step_inputs.get(step.right, frozenset({step.right}))),
                )
            if rows.size:
                self._emit(step, rows, times, outputs)
        return outputs

    def _watermark(self, inputs: frozenset[str]) -> int | None:
        """The watermark of rows derived from `inputs`: the lowest of theirs (None: every one ended)."""
        marks = [self.clocks[alias].watermark for alias in inputs if alias not in self._ended]
        return min(marks) if marks else None

    def _push(self, source: str, rows: Table, times: list[int], outputs: list[OutputBatch]) -> None:
        for step in self.plan.consumers(source):
            if isinstance(step, SelectStep):
                out_rows, out_times = self._select(step, rows, times)
                if out_rows.size:
                    self._emit(step, out_rows, out_times, outputs)
            elif isinstance(step, AggregateStep):
                self._accumulate(step, rows, times)
            else:  # a stream JOIN: rows come out when both watermarks pass them (`_release`)
                state = self.joins[step.name]
                try:
                    if step.source == source:
                        state.add_left(rows, times)
                    if step.right == source:
                        state.add_right(rows, times)
                except ExecutionError as exc:
                    raise ExecutionError(f"step {step.name}: {exc}") from exc

    def _emit(
        self,
        step: SelectStep | AggregateStep | StreamJoinStep,
        rows: Table,
        times: list[int],
        outputs: list[OutputBatch],
    ) -> None:
        if step.output is not None:
            outputs.append(OutputBatch(step.output, rows, times))
        else:
            self._push(step.name, rows, times, outputs)

    def _select(self, step: SelectStep, rows: Table, times: list[int]) -> tuple[Table, list[int]]:
        try:
            if step.join is not None:
                rows, times = step.join(rows, times, self.references)
            if step.expand is not None:
                rows, times = step.expand(rows, times)
            if step.recognize is not None:
                rows, times = self.matches[step.name].process(rows, times)
            analytic: list[list[Any]] = []
            if step.analytics:
                # one batch per call site: each was compiled on its own (batch caches are per compiler)
                analytic = [state.evaluate(Batch(rows, times, [])) for state in self.analytics[step.name]]
            if step.where is not None:
                rows, times, analytic = step.where(rows, times, analytic)
            if not rows.size:
                return rows, times
            udf_results = [
                self.callers[name](arg(rows, times))
                for name, arg in zip(step.udf_names, step.udf_args, strict=True)
            ]
            if step.project is not None:
                rows = step.project(rows, times, udf_results, analytic)
            return rows, times
        except ExecutionError as exc:
            raise ExecutionError(f"step {step.name}: {exc}") from exc

    def _accumulate(self, step: AggregateStep, rows: Table, times: list[int]) -> None:
        if step.join is not None:
            rows, times = step.join(rows, times, self.references)
        if step.expand is not None:
            rows, times = step.expand(rows, times)
        if step.where is not None:
            rows, times, _ = step.where(rows, times)
        if not rows.size:
            return
        keys = step.keys(rows, times)
        kinds = step.aggregate_kinds
        columns = [arg(rows, times) if arg is not None else None for arg in step.aggregate_args]
        if step.window.kind in DYNAMIC_KINDS:
            partitions = step.session_keys(rows, times) if step.session_keys is not None else None
            self.dynamic[step.name].add(times, keys, partitions, columns)
            return
        state = self.windows[step.name]
        groups: dict[tuple[int, tuple[Any, ...]], list[int]] = {}
        window = step.window
        try:
            if window.hop == window.size:  # tumbling: one window per row, found for the batch at once
                for index, entry in enumerate(zip(window.first_ends(times), keys, strict=True)):
                    groups.setdefault(entry, []).append(index)
            else:
                for index, (key, timestamp) in enumerate(zip(keys, times, strict=True)):
                    for end in window.ends(timestamp):
                        groups.setdefault((end, key), []).append(index)
        except TypeError as exc:
            raise ExecutionError(f"step {step.name}: GROUP BY values must be scalars: {exc}") from exc
        closed = self._substream_closed(step, state) if step.substream_positions is not None else None
        for group, positions in groups.items():
            if group[0] < (state.closed_until if closed is None else closed(group[1])):
                state.late_rows += len(positions)
                continue
            accumulators = state.open.get(group)
            if accumulators is None:
                accumulators = state.open[group] = [_initial(kind) for kind in kinds]
            for slot, kind in enumerate(kinds):
                column = columns[slot]
                if column is None:
                    accumulators[slot] += len(positions)  # COUNT(*)
                else:
                    _merge(
                        accumulators,
                        slot,
                        kind,
                        [v for v in map(column.__getitem__, positions) if v is not None],
                    )

    def _close_windows(self, step: AggregateStep, watermark: int | None) -> tuple[Table, list[int]]:
        """Emit every window whose end the watermark has passed (all of them when `watermark` is None)."""
        if step.name in self.dynamic:
            return self._close_dynamic(step, watermark)
        state = self.windows[step.name]
        if watermark is not None:
            state.closed_until = max(state.closed_until, watermark)
        closing = [entry for entry in state.open if watermark is None or entry[0] < watermark]
        closing.sort(key=lambda entry: entry[0])
        return self._emit_windows(step, state, closing)

    def _emit_windows(
        self, step: AggregateStep, state: _Windows, closing: list[tuple[int, tuple[Any, ...]]]
    ) -> tuple[Table, list[int]]:
        """The rows of closing windows (removed from the open ones), HAVING applied."""
        rows: list[dict[str, Any]] = []
        times: list[int] = []
        every_final = self._finals(step, [state.open.pop(entry) for entry in closing])
        for (end, key), finals in zip(closing, every_final, strict=True):
            end_time = micros_to_datetime(end)
            if step.having is not None and not step.having(key, finals, end_time):
                continue
            rows.append(step.project(key, finals, end_time))
            times.append(end)
        return Table.of_records(rows, json=False), times

    def _substream_of(self, step: AggregateStep, key: tuple[Any, ...]) -> int | None:
        positions = step.substream_positions
        assert positions is not None
        return self.substreams[step.source].get(tuple(key[i] for i in positions))

    def _substream_closed(self, step: AggregateStep, state: _Windows) -> Callable[[tuple[Any, ...]], int]:
        def closed(key: tuple[Any, ...]) -> int:
            number = self._substream_of(step, key)
            return state.closed_by.get(number, NEVER) if number is not None else state.closed_until

        return closed

    def _close_substream_windows(self, step: AggregateStep, alias: str) -> tuple[Table, list[int]]:
        """Windows over substreams: each group's close when its own substream's watermark passes them
        (the reference page: output "for each event producer ... as they are computed")."""
        state = self.windows[step.name]
        clock = self.clocks[alias]
        marks: dict[int, int] | None = None
        if alias not in self._ended:
            marks = {key: clock.partition_watermark(part) for key, part in clock.partitions.items()}
            for key, mark in marks.items():
                state.closed_by[key] = max(state.closed_by.get(key, NEVER), mark)
            state.closed_until = max(state.closed_until, clock.watermark)
        closing = []
        for entry in state.open:
            substream = self._substream_of(step, entry[1])
            if marks is None:
                closing.append(entry)
                continue
            # a group whose key is no substream's (values changed on the way) waits for every substream
            limit = marks.get(substream, clock.watermark) if substream is not None else clock.watermark
            if entry[0] < limit:
                closing.append(entry)
        closing.sort(key=lambda entry: entry[0])
        return self._emit_windows(step, state, closing)

    def _close_dynamic(self, step: AggregateStep, watermark: int | None) -> tuple[Table, list[int]]:
        """Sliding and session windows (`dynamic_windows.py`): aggregate each window that closes."""
        rows: list[dict[str, Any]] = []
        times: list[int] = []
        windows = list(self.dynamic[step.name].close(watermark))
        every_accumulator = []
        for _, _, arg_rows in windows:
            accumulators = [_initial(kind) for kind in step.aggregate_kinds]
            for slot, kind in enumerate(step.aggregate_kinds):
                if kind == "count*":
                    accumulators[slot] += len(arg_rows)
                else:
                    _merge(
                        accumulators, slot, kind, [args[slot] for args in arg_rows if args[slot] is not None]
                    )
            every_accumulator.append(accumulators)
        every_final = self._finals(step, every_accumulator)
        for (end, key, _), finals in zip(windows, every_final, strict=True):
            end_time = micros_to_datetime(end)
            if step.having is not None and not step.having(key, finals, end_time):
                continue
            rows.append(step.project(key, finals, end_time))
            times.append(end)
        return Table.of_records(rows, json=False), times

    def _finals(self, step: AggregateStep, groups: list[list[Any]]) -> list[list[Any]]:
        """Each closing group's aggregate values; a JavaScript aggregate's in one request for all groups."""
        columns = []
        for slot, kind in enumerate(step.aggregate_kinds):
            accumulators = [group[slot] for group in groups]
            if kind.startswith("uda:"):
                runtime = self.plan.javascript
                assert runtime is not None  # the planner allows uda. calls only with JavaScript functions
                columns.append(runtime.aggregate(kind[4:], accumulators, f"step {step.name}"))
            else:
                columns.append([_final(kind, accumulator) for accumulator in accumulators])
        return [list(finals) for finals in zip(*columns, strict=True)] if columns else [[] for _ in groups]

    # -- state -------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """JSON-safe state: ordering buffers and watermarks per input, open windows per aggregate."""
        return {
            "version": SNAPSHOT_VERSION,
            "inputs": {alias: clock.snapshot() for alias, clock in self.clocks.items()},
            "aggregates": {
                name: {
                    "closed_until": w.closed_until,
                    "late_rows": w.late_rows,
                    "closed_by": [[number, mark] for number, mark in w.closed_by.items()],
                    "open": [[end, _encode(list(key)), _encode(acc)] for (end, key), acc in w.open.items()],
                }
                for name, w in self.windows.items()
            },
            "analytics": {
                name: [_encode(state.snapshot()) for state in states]
                for name, states in self.analytics.items()
            },
            "dynamic_windows": {name: _encode(d.snapshot()) for name, d in self.dynamic.items()},
            "stream_joins": {name: _encode(j.snapshot()) for name, j in self.joins.items()},
            "match_recognize": {name: _encode(m.snapshot()) for name, m in self.matches.items()},
            "substreams": {
                alias: [
                    [_encode(list(key)), number, sorted(self.substream_partitions[alias].get(number, ()))]
                    for key, number in ids.items()
                ]
                for alias, ids in self.substreams.items()
            },
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Put back a `snapshot()` taken from an engine running the same query."""
        if state.get("version") != SNAPSHOT_VERSION:
            raise StateError(f"snapshot version {state.get('version')!r}, expected {SNAPSHOT_VERSION}")
        if set(state["inputs"]) != set(self.clocks) or set(state["aggregates"]) != set(self.windows):
            raise StateError(
                f"snapshot of inputs {sorted(state['inputs'])} and aggregates {sorted(state['aggregates'])} "
                f"does not fit this query ({sorted(self.clocks)}, {sorted(self.windows)})"
            )
        saved_analytics = state.get("analytics", {})
        if set(saved_analytics) != set(self.analytics):
            raise StateError(
                f"snapshot of analytic functions in {sorted(saved_analytics)} does not fit this query "
                f"({sorted(self.analytics)})"
            )
        saved_dynamic = state.get("dynamic_windows", {})
        if set(saved_dynamic) != set(self.dynamic):
            raise StateError(
                f"snapshot of sliding/session windows in {sorted(saved_dynamic)} does not fit this query "
                f"({sorted(self.dynamic)})"
            )
        saved_joins = state.get("stream_joins", {})
        if set(saved_joins) != set(self.joins):
            raise StateError(
                f"snapshot of stream JOINs in {sorted(saved_joins)} does not fit this query ({sorted(self.joins)})"
            )
        saved_matches = state.get("match_recognize", {})
        if set(saved_matches) != set(self.matches):
            raise StateError(
                f"snapshot of MATCH_RECOGNIZE in {sorted(saved_matches)} does not fit this query "
                f"({sorted(self.matches)})"
            )
        for name, saved in saved_matches.items():
            self.matches[name].restore(_decode(saved))
        for name, saved in saved_dynamic.items():
            self.dynamic[name].restore(_decode(saved))
        for name, saved in saved_joins.items():
            self.joins[name].restore(_decode(saved))
        for alias, saved_ids in state.get("substreams", {}).items():
            self.substreams[alias] = {tuple(_decode(key)): number for key, number, _ in saved_ids}
            self.substream_partitions[alias] = {number: set(seen) for _, number, seen in saved_ids}
        for name, saved in saved_analytics.items():
            for analytic_state, analytic_saved in zip(self.analytics[name], saved, strict=True):
                analytic_state.restore(_decode(analytic_saved))
        for alias, clock_state in state["inputs"].items():
            self.clocks[alias].restore(clock_state)
        for name, saved in state["aggregates"].items():
            windows = _Windows(
                closed_until=saved["closed_until"],
                late_rows=saved["late_rows"],
                closed_by={number: mark for number, mark in saved.get("closed_by", [])},
            )
            for end, key, accumulators in saved["open"]:
                windows.open[(end, tuple(_decode(key)))] = _decode(accumulators)
            self.windows[name] = windows


def _timestamp_rejections(
    step: InputStep, event_times: list[int | None], arrivals_us: list[int]
) -> list[tuple[int, str]]:
    """(index, reason) of the events the ordering drops before the query: the same two rules as
    `InputClock.accept` (no time: `no_timestamp`; more than 5 minutes early: `early_dropped`)."""
    by = f"TIMESTAMP BY {sql(step.timestamp_by)}"
    found = []
    for index, (event_time, arrival) in enumerate(zip(event_times, arrivals_us, strict=True)):
        if event_time is None:
            found.append((index, f"{by}: missing or not a time, so the event has no timestamp"))
        elif event_time > arrival + EARLY_ARRIVAL_LIMIT:
            found.append(
                (
                    index,
                    f"{by}: more than {EARLY_ARRIVAL_LIMIT // 60_000_000} minutes after the event's arrival (early event)",
                )
            )
    return found


def _initial(kind: str) -> Any:
    if statistical_aggregates.handles(kind):
        return statistical_aggregates.initial(kind)
    if kind.startswith("uda:"):
        return []  # (value, event time) pairs, aggregated by the JavaScript host when the window closes
    if kind in ("count*", "count"):
        return 0
    if kind in ("sum", "avg"):
        return [0, 0]
    if kind == "count_distinct":
        return set()
    return None


def _merge(accumulators: list[Any], slot: int, kind: str, found: list[Any]) -> None:
    """Add the non-NULL values of one group in one batch to its accumulator."""
    if not found:
        return
    if kind == "count":
        accumulators[slot] += len(found)
    elif statistical_aggregates.handles(kind):
        statistical_aggregates.merge(accumulators[slot], kind, found)
    elif kind.startswith("uda:"):
        accumulators[slot].extend(found)
    elif kind == "topone":  # (rank keys, record): the smallest keys win, the first one on a tie
        best = accumulators[slot]
        for candidate in found:
            if best is None or candidate[0] < best[0]:
                best = candidate
        accumulators[slot] = best
    elif kind == "count_distinct":
        try:
            accumulators[slot].update(found)
        except TypeError as exc:
            raise ExecutionError(f"COUNT(DISTINCT ...) needs scalar values: {exc}") from exc
    elif kind in ("sum", "avg"):
        if not set(map(type, found)) <= _NUMBERS:
            bad = next(v for v in found if type(v) not in _NUMBERS)
            raise ExecutionError(f"{kind.upper()} needs numbers, got {bad!r}")
        pair = accumulators[slot]
        pair[0] += sum(found)
        pair[1] += len(found)
    else:
        current = accumulators[slot]
        try:
            extreme = min(found) if kind == "min" else max(found)
            if current is None or (extreme < current if kind == "min" else extreme > current):
                accumulators[slot] = extreme
        except TypeError as exc:
            raise ExecutionError(f"{kind.upper()} cannot compare the values {found[:3]!r}...") from exc


def _final(kind: str, accumulator: Any) -> Any:
    if statistical_aggregates.handles(kind):
        return statistical_aggregates.final(kind, accumulator)
    if kind == "sum":
        return accumulator[0] if accumulator[1] else None
    if kind == "avg":
        return accumulator[0] / accumulator[1] if accumulator[1] else None
    if kind == "count_distinct":
        return len(accumulator)
    if kind == "topone":
        return None if accumulator is None else accumulator[1]
    return accumulator


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": datetime_to_micros(value)}
    if isinstance(value, set):
        return {"$set": [_encode(v) for v in value]}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$datetime"}:
            return micros_to_datetime(value["$datetime"])
        if set(value) == {"$set"}:
            return {_decode(v) for v in value["$set"]}
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
