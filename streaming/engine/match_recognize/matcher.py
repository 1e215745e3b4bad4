"""The running MATCH_RECOGNIZE: per PARTITION BY key, the tries in progress; the matches each event ends.

Semantics (the reference page and the query-patterns example; choices where they are silent, also in the
engine README's language table):
- Events are taken in time order per partition (equal times in arrival order), after the input's event
  ordering policy (late and out-of-order events are adjusted or dropped before they get here).
- AFTER MATCH SKIP TO NEXT ROW: every event starts a try ("the next try to match pattern will start at
  event S+1"), tries overlap and run side by side.
- A try ends when its next event cannot be bound to any variable its pattern allows, or when the event
  falls outside LIMIT DURATION: all events of a match lie within (last time - duration, last time].
- A match is reported at each event where a try completes the pattern: one row per event at most; of the
  tries that complete on the same event, the one that started first (the longest) is reported. This is
  the reading the query-patterns ATM example needs (one row, though its tries from both "Success" events
  complete on the second warning). A try that completes goes on: `A+` reports again on the next A.
- The row's System.Timestamp() is the time of the match's last event; its columns are the MEASURES only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from streaming.engine.columnar import Batch, to_list
from streaming.engine.errors import ExecutionError
from streaming.engine.match_recognize.automaton import Automaton
from streaming.engine.match_recognize.expressions import Slot
from streaming.engine.table import Table
from streaming.engine.values import compare, record_property


@dataclass(frozen=True)
class PatternSpec:
    """One compiled MATCH_RECOGNIZE."""

    automaton: Automaton
    duration_us: int
    partition_by: Callable[[Batch], Any] | None
    defines: dict[str, Callable[[Any, list[Any]], bool]]
    """lower-case variable -> its condition `(event, slots) -> bool`."""
    slots: tuple[Slot, ...]
    measures: tuple[tuple[str, Callable[[list[Any], list[Any]], Any]], ...]
    names: dict[str, str]
    """lower-case variable -> as written, for Classifier()."""
    text: str
    closures: tuple[tuple[int, ...], ...] = field(init=False)
    accepting: tuple[bool, ...] = field(init=False)

    def __post_init__(self) -> None:
        closures = tuple(tuple(self.automaton.closure(s)) for s in range(len(self.automaton.epsilon)))
        object.__setattr__(self, "closures", closures)
        object.__setattr__(self, "accepting", tuple(self.automaton.final in c for c in closures))


class _Try(NamedTuple):
    state: int
    start_us: int
    number: int
    labels: tuple[str | None, ...]
    slots: tuple[Any, ...]


@dataclass
class _Partition:
    tries: list[_Try] = field(default_factory=list)
    started: int = 0


class MatchState:
    """What one MATCH_RECOGNIZE keeps between batches: the tries in progress per partition key."""

    def __init__(self, spec: PatternSpec) -> None:
        self.spec = spec
        self.partitions: dict[tuple[Any, ...], _Partition] = {}

    def process(self, rows: Table, times: list[int]) -> tuple[Table, list[int]]:
        """The matches the rows (in time order) complete: one row of MEASURES each, at its last event."""
        spec = self.spec
        size = rows.size
        if not size:
            return rows, times
        records = rows.records()
        keys: list[tuple[Any, ...]] = (
            [(value,) for value in to_list(spec.partition_by(Batch(rows, times, [])), size)]
            if spec.partition_by is not None
            else [()] * size
        )
        found: list[dict[str, Any]] = []
        found_times: list[int] = []
        try:
            for record, time, key in zip(records, times, keys, strict=True):
                partition = self.partitions.get(key)
                if partition is None:
                    partition = self.partitions[key] = _Partition()
                match = self._step(partition, record, time)
                if match is not None:
                    found.append(self._measures(match))
                    found_times.append(time)
                if not partition.tries:
                    del self.partitions[key]
        except TypeError as exc:  # an unhashable PARTITION BY value (a record or an array)
            raise ExecutionError(f"{spec.text}: PARTITION BY values must be scalars: {exc}") from exc
        return Table.of_records(found, json=False), found_times

    def _step(self, partition: _Partition, record: Any, time: int) -> _Try | None:
        spec = self.spec
        horizon = time - spec.duration_us
        tries = [t for t in partition.tries if t.start_us > horizon]
        tries.append(_Try(spec.automaton.start, time, partition.started, (), (None,) * len(spec.slots)))
        partition.started += 1
        following: list[_Try] = []
        seen: set[tuple[int, int, tuple[str | None, ...]]] = set()
        match = None
        for current in tries:
            for state in spec.closures[current.state]:
                move = spec.automaton.label[state]
                if move is None:
                    continue
                variable, target = move
                slots = current.slots
                if variable is not None:
                    slots = self._bind(current, variable, record)
                    if not spec.defines[variable](record, list(slots)):
                        continue
                labels = (*current.labels, variable)
                identity = (target, current.number, labels)
                if identity in seen:
                    continue
                seen.add(identity)
                moved = _Try(target, current.start_us, current.number, labels, slots)
                following.append(moved)
                if match is None and spec.accepting[target]:
                    match = moved
        partition.tries = following
        return match

    def _bind(self, current: _Try, variable: str, record: Any) -> tuple[Any, ...]:
        """The try's slots with `record` bound to `variable`."""
        slots = list(current.slots)
        first = variable not in current.labels
        for index, slot in enumerate(self.spec.slots):
            if slot.variable != variable:
                continue
            value = record
            for part in slot.path:
                value = record_property(value, part)
            if slot.kind == "last" or (slot.kind == "first" and first):
                slots[index] = value
            elif slot.kind in ("min", "max") and value is not None:
                best = slots[index]
                if best is None or compare("<" if slot.kind == "min" else ">", value, best) is True:
                    slots[index] = value
        return tuple(slots)

    def _measures(self, match: _Try) -> dict[str, Any]:
        names = self.spec.names
        classifier = [names[label] if label is not None else "." for label in match.labels]
        slots = list(match.slots)
        return {alias: measure(slots, classifier) for alias, measure in self.spec.measures}

    def pending(self) -> int:
        return sum(len(p.tries) for p in self.partitions.values())

    def snapshot(self) -> dict[str, Any]:
        return {
            "partitions": [
                [
                    list(key),
                    partition.started,
                    [[*t[:3], list(t.labels), list(t.slots)] for t in partition.tries],
                ]
                for key, partition in self.partitions.items()
            ]
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.partitions = {}
        for key, started, tries in state["partitions"]:
            self.partitions[tuple(key)] = _Partition(
                [
                    _Try(s, start, number, tuple(labels), tuple(slots))
                    for s, start, number, labels, slots in tries
                ],
                started,
            )
