"""PATTERN -> a nondeterministic automaton (Thompson's construction).

States are numbers; a state has ordered epsilon moves and at most one labelled move (a pattern variable, or
None for `.`). Bounded quantifiers are expanded into copies (`A{2,3}` is `A A A?`). Greedy preference is
kept in the order of the epsilon moves: a quantifier's "one more" move comes before its "stop" move, so
the first try found in that order is the one the SQL standard prefers (the longest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streaming.engine.match_recognize.syntax import Alternation, PatternName, PatternNode, Repeat, Sequence


@dataclass
class Automaton:
    start: int
    final: int
    epsilon: list[list[int]] = field(default_factory=list)
    label: list[tuple[str | None, int] | None] = field(default_factory=list)
    """Per state: (variable or None for `.`, next state), or None when the state reads no event."""

    def closure(self, state: int) -> list[int]:
        """States reachable from `state` by epsilon moves, in preference order (depth first)."""
        found: list[int] = []
        seen: set[int] = set()
        stack = [state]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            found.append(current)
            stack.extend(reversed(self.epsilon[current]))
        return found


def compile_pattern(pattern: PatternNode) -> Automaton:
    builder = _Builder()
    start, final = builder.fragment(pattern)
    automaton = Automaton(start, final, builder.epsilon, builder.label)
    return automaton


class _Builder:
    def __init__(self) -> None:
        self.epsilon: list[list[int]] = []
        self.label: list[tuple[str | None, int] | None] = []

    def state(self) -> int:
        self.epsilon.append([])
        self.label.append(None)
        return len(self.epsilon) - 1

    def fragment(self, node: PatternNode) -> tuple[int, int]:
        """(entry, exit) states of a fragment matching `node`."""
        if isinstance(node, PatternName):
            entry, exit_ = self.state(), self.state()
            self.label[entry] = (node.name.casefold() if node.name is not None else None, exit_)
            return entry, exit_
        if isinstance(node, Sequence):
            entry, exit_ = self.fragment(node.items[0])
            for item in node.items[1:]:
                first, last = self.fragment(item)
                self.epsilon[exit_].append(first)
                exit_ = last
            return entry, exit_
        if isinstance(node, Alternation):
            entry, exit_ = self.state(), self.state()
            for option in node.options:
                first, last = self.fragment(option)
                self.epsilon[entry].append(first)
                self.epsilon[last].append(exit_)
            return entry, exit_
        return self.repeat(node)

    def repeat(self, node: Repeat) -> tuple[int, int]:
        entry = current = self.state()
        for _ in range(node.low):  # the required copies
            first, last = self.fragment(node.item)
            self.epsilon[current].append(first)
            current = last
        exit_ = self.state()
        if node.high is None:  # then any number more: loop back, greedily
            first, last = self.fragment(node.item)
            self.epsilon[current].extend([first, exit_])
            self.epsilon[last].extend([first, exit_])
            return entry, exit_
        for _ in range(node.high - node.low):  # optional copies, each "one more" before "stop"
            first, last = self.fragment(node.item)
            self.epsilon[current].extend([first, exit_])
            current = last
        self.epsilon[current].append(exit_)
        return entry, exit_
