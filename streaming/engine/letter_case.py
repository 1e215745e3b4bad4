"""Which string comparisons of a run depend on letter case (docs/decisions/0021).

The engine compares text ordinally, case-sensitively: no Stream Analytics page states the rule for
values, and one query-patterns example ("Detect the duration between events": `WHEN Event = 'start'`
over data `Start`) hints at the opposite. So that a query test never passes or fails silently on that
guess, `python -m streaming test` runs its cases inside `watch_letter_case()`: every comparison of two
strings (=, <>, <, <=, >, >=, IN, a simple CASE, LIKE) whose result would change if case were ignored,
and every GROUP BY key that splits two spellings of one text into two groups, is recorded once per place
in the query, with the first pair of values and a count. Outside
`watch_letter_case()` the cost is one context-variable read per batch (columnar) or per call (per-row).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from streaming.engine import values
from streaming.engine.scalars import like


@dataclass
class CaseDependentComparison:
    """A place in the query where the test data compared differently than it would ignoring case."""

    line: int
    column: int
    expression: str
    left: str
    right: str
    rows: int = 1
    grouped: bool = False
    """A GROUP BY key that split two spellings into separate groups (not a comparison)."""

    def message(self) -> str:
        if self.grouped:
            what = (
                f"GROUP BY {self.expression} put {self.left!r} and {self.right!r} in separate groups "
                f"({self.rows} pair(s) of spellings in the test inputs would be one group"
            )
        else:
            what = (
                f"{self.expression} compared {self.left!r} with {self.right!r} case-sensitively "
                f"({self.rows} row(s) of the test inputs would compare differently"
            )
        return (
            f"line {self.line}, column {self.column}: {what} if Stream Analytics ignores case; its "
            "documentation does not state the rule, see docs/decisions/0021-string-comparison-case.md)"
        )


def _differs(op: str, left: Any, right: Any) -> bool:
    if type(left) is not str or type(right) is not str:
        return False
    if left.casefold() == left and right.casefold() == right:
        return False
    if op in ("LIKE", "NOT LIKE"):
        return like(left, right) != like(left.casefold(), right.casefold())
    return values.compare(op, left, right) != values.compare(op, left.casefold(), right.casefold())


class LetterCaseWatch:
    """Collects the case-dependent comparisons of one run."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int, str], CaseDependentComparison] = {}

    def check(
        self, line: int, column: int, expression: str, op: str, pairs: Iterable[tuple[Any, Any]]
    ) -> None:
        for left, right in pairs:
            if _differs(op, left, right):
                key = (line, column, expression)
                found = self._found.get(key)
                if found is None:
                    self._found[key] = CaseDependentComparison(line, column, expression, left, right)
                else:
                    found.rows += 1

    def check_group_key(self, line: int, column: int, expression: str, keys: Iterable[Any]) -> None:
        """GROUP BY values of one batch: two spellings of one text, ignoring case, are two groups here."""
        spellings: dict[str, str] = {}
        for key in set(keys):
            if type(key) is not str:
                continue
            first = spellings.setdefault(key.casefold(), key)
            if first != key:
                place = (line, column, expression)
                found = self._found.get(place)
                if found is None:
                    self._found[place] = CaseDependentComparison(
                        line, column, expression, min(first, key), max(first, key), grouped=True
                    )
                else:
                    found.rows += 1

    @property
    def findings(self) -> list[CaseDependentComparison]:
        return sorted(self._found.values(), key=lambda found: (found.line, found.column))


_ACTIVE: ContextVar[LetterCaseWatch | None] = ContextVar("letter_case_watch", default=None)


def active() -> LetterCaseWatch | None:
    """The watch of the current run, or None (the usual case: nothing is checked)."""
    return _ACTIVE.get()


@contextmanager
def watch_letter_case() -> Iterator[LetterCaseWatch]:
    """Record case-dependent string comparisons made inside the block."""
    watch = LetterCaseWatch()
    token = _ACTIVE.set(watch)
    try:
        yield watch
    finally:
        _ACTIVE.reset(token)


def compare_watched(op: str, left: Any, right: Any, line: int, column: int, expression: str) -> Any:
    """`values.compare` for the per-row compiler, checked while a watch is active."""
    watch = _ACTIVE.get()
    if watch is not None:
        watch.check(line, column, expression, op, ((left, right),))
    return values.compare(op, left, right)


def like_watched(left: Any, right: Any, line: int, column: int, expression: str) -> Any:
    """`scalars.like` for the per-row compiler, checked while a watch is active."""
    watch = _ACTIVE.get()
    if watch is not None:
        watch.check(line, column, expression, "LIKE", ((left, right),))
    return like(left, right)
