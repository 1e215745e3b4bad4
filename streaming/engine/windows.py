"""Window definitions and event-to-window assignment (pure logic).

A window covers the interval (end - size, end]: an event exactly on a boundary belongs to the window that
ends there. Ends are aligned to the epoch plus the offset (so a five-minute window ends at 12:00, 12:05...).
Tumbling windows are hopping windows whose hop equals their size; a snapshot window ("Snapshot window"
reference page) groups the events of one timestamp and ends at that timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streaming.engine import ast
from streaming.engine.errors import PlanError

MICROS = {
    "day": 86_400_000_000,
    "hour": 3_600_000_000,
    "minute": 60_000_000,
    "second": 1_000_000,
    "millisecond": 1_000,
    "microsecond": 1,
}
UNITS = {
    **{name: name for name in MICROS},
    "dd": "day",
    "d": "day",
    "hh": "hour",
    "mi": "minute",
    "n": "minute",
    "ss": "second",
    "s": "second",
    "ms": "millisecond",
    "mcs": "microsecond",
}
MAX_SIZE = 7 * MICROS["day"]
TUMBLING = ("tumblingwindow", "tumbling")
HOPPING = ("hoppingwindow", "hopping")
SLIDING = ("slidingwindow", "sliding")
SESSION = ("sessionwindow", "session")
OTHER_WINDOWS = ("windows",)


@dataclass(frozen=True)
class WindowSpec:
    """A tumbling, hopping, sliding or session window; all lengths in microseconds.

    A sliding window has `size` and no hop; a session window has its timeout as `size` and its
    maximum duration as `hop` (the interval of the maximum-duration checks)."""

    kind: str
    size: int
    hop: int
    offset: int = 0

    def describe(self) -> str:
        if self.kind == "snapshot":
            return "SnapshotWindow"
        offset = f", offset {_duration(self.offset)}" if self.offset else ""
        if self.kind == "tumbling":
            return f"TumblingWindow({_duration(self.size)}{offset})"
        if self.kind == "sliding":
            return f"SlidingWindow({_duration(self.size)})"
        if self.kind == "session":
            return f"SessionWindow(timeout {_duration(self.size)}, max duration {_duration(self.hop)})"
        return f"HoppingWindow({_duration(self.size)}, hop {_duration(self.hop)}{offset})"

    def first_ends(self, timestamps: list[int]) -> list[int]:
        """For each timestamp, the end of the earliest window containing it (the only one if tumbling)."""
        if self.kind == "snapshot":
            return list(timestamps)
        times = np.asarray(timestamps, dtype=np.int64)
        ends: list[int] = (-((self.offset - times) // self.hop) * self.hop + self.offset).tolist()
        return ends

    def ends(self, timestamp: int) -> list[int]:
        """Ends of every window that contains `timestamp` (microseconds), earliest first."""
        first = -((self.offset - timestamp) // self.hop) * self.hop + self.offset  # ceil to the hop grid
        ends = []
        end = first
        while end - self.size < timestamp:
            ends.append(end)
            end += self.hop
        return ends


def is_window_call(node: ast.Node) -> bool:
    return (
        isinstance(node, ast.Call)
        and node.qualified in TUMBLING + HOPPING + SLIDING + SESSION + OTHER_WINDOWS
    )


def is_snapshot(node: ast.Node) -> bool:
    """`System.Timestamp()` in GROUP BY: a snapshot window when no other window is there, else a key."""
    return isinstance(node, ast.Call) and node.qualified == "system.timestamp"


def window_spec(call: ast.Call) -> WindowSpec:
    """Interpret a window call in GROUP BY, every documented form of Tumbling and Hopping windows, and
    a snapshot window (`System.Timestamp()`: the events of one timestamp, emitted at that time)."""
    name = call.qualified
    if name == "system.timestamp":
        return WindowSpec("snapshot", 0, 0)
    if name in OTHER_WINDOWS:
        raise PlanError(f"{'.'.join(call.name)} is not supported by the local engine", call.line, call.column)
    if name in SLIDING + SESSION:
        return _dynamic_window(call)
    args = list(call.args)
    named = [a for a in args if isinstance(a, ast.Call) and a.qualified in ("duration", "hop", "offset")]
    if named:
        if len(named) != len(args):
            raise PlanError("mix of Duration()/Hop()/Offset() and plain arguments", call.line, call.column)
        parts = {a.qualified: interval_length(a.args, a) for a in named}
        size = parts.get("duration")
        if size is None:
            raise PlanError("window needs Duration(unit, size)", call.line, call.column)
        hop = parts.get("hop", size if name in TUMBLING else None)
        if hop is None:
            raise PlanError("HoppingWindow needs Hop(unit, size)", call.line, call.column)
        if name in TUMBLING and "hop" in parts:
            raise PlanError("TumblingWindow takes no Hop()", call.line, call.column)
        offset = parts.get("offset", 0)
    elif name in TUMBLING:
        if len(args) not in (2, 3):
            raise PlanError(
                "TumblingWindow(unit, size [, offset]) takes 2 or 3 arguments", call.line, call.column
            )
        unit = _unit(args[0])
        size = _count(args[1]) * unit
        hop = size
        offset = _count(args[2]) * unit if len(args) == 3 else 0
    else:
        if len(args) not in (3, 4):
            raise PlanError(
                "HoppingWindow(unit, size, hop [, offset]) takes 3 or 4 arguments", call.line, call.column
            )
        unit = _unit(args[0])
        size = _count(args[1]) * unit
        hop = _count(args[2]) * unit
        offset = _count(args[3]) * unit if len(args) == 4 else 0
    if size <= 0 or hop <= 0:
        raise PlanError("window size and hop must be positive", call.line, call.column)
    if size > MAX_SIZE:
        raise PlanError("window size is limited to 7 days", call.line, call.column)
    if hop > size:
        raise PlanError("hop must not exceed the window size", call.line, call.column)
    return WindowSpec("tumbling" if name in TUMBLING else "hopping", size, hop, offset)


def _dynamic_window(call: ast.Call) -> WindowSpec:
    """`SlidingWindow(unit, size)` / `(Duration(unit, size))` ("Sliding Window" reference page) and
    `SessionWindow(unit, timeout, maxDuration)` / `(Timeout(unit, n), MaxDuration(unit, n))`
    ("Session Window" reference page)."""
    args = list(call.args)
    sliding = call.qualified in SLIDING
    names = ("duration",) if sliding else ("timeout", "maxduration")
    calls = [a for a in args if isinstance(a, ast.Call)]
    if args and len(calls) == len(args):
        parts = {a.qualified: interval_length(a.args, a) for a in calls}
        if sorted(parts) != sorted(names) or len(args) != len(names):
            wanted = "Duration(unit, size)" if sliding else "Timeout(unit, n), MaxDuration(unit, n)"
            raise PlanError(f"{'.'.join(call.name)} takes {wanted}", call.line, call.column)
        lengths = [parts[n] for n in names]
    else:
        if len(args) != len(names) + 1:
            wanted = "(unit, size)" if sliding else "(unit, timeoutSize, maxDurationSize)"
            raise PlanError(
                f"{'.'.join(call.name)}{wanted} takes {len(names) + 1} arguments", call.line, call.column
            )
        unit = _unit(args[0])
        lengths = [_count(a) * unit for a in args[1:]]
    if any(length <= 0 for length in lengths):
        raise PlanError("window lengths must be positive", call.line, call.column)
    if max(lengths) > MAX_SIZE:
        raise PlanError("window size is limited to 7 days", call.line, call.column)
    if sliding:
        return WindowSpec("sliding", lengths[0], 0)
    return WindowSpec("session", lengths[0], lengths[1])


def interval_length(args: tuple[ast.Node, ...], call: ast.Call) -> int:
    """`(unit, n)` arguments as microseconds (Duration(), Hop(), LIMIT DURATION(), ISFIRST())."""
    if len(args) != 2:
        raise PlanError(f"{'.'.join(call.name)}(unit, size) takes 2 arguments", call.line, call.column)
    return _unit(args[0]) * _count(args[1])


def _unit(node: ast.Node) -> int:
    if isinstance(node, ast.Column) and len(node.path) == 1 and node.path[0].lower() in UNITS:
        return MICROS[UNITS[node.path[0].lower()]]
    raise PlanError(f"expected a time unit ({', '.join(sorted(UNITS))})", node.line, node.column)


def _count(node: ast.Node) -> int:
    if isinstance(node, ast.Literal) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    raise PlanError("window sizes must be integer constants", node.line, node.column)


def _duration(micros: int) -> str:
    """A length in the largest unit that divides it: `1 minute`, `90 seconds`, `-1 millisecond`."""
    for unit in ("day", "hour", "minute", "second", "millisecond", "microsecond"):
        size = MICROS[unit]
        if micros % size == 0:
            count = micros // size
            return f"{count} {unit}{'' if abs(count) == 1 else 's'}"
    raise AssertionError("every length is a whole number of microseconds")
