"""The statistical and collecting aggregates of the query language reference ("Aggregate Functions"):
STDEV, STDEVP, VAR, VARP (float; "STDEV", "STDEVP", "VAR", "VARP" pages), PERCENTILE_CONT and
PERCENTILE_DISC (`PERCENTILE_CONT(p) OVER (ORDER BY x [ASC|DESC])`; "Percentile_Cont",
"Percentile_Disc" pages), Collect (`Collect()` every event of the window as a record, `Collect(x)`
the values of x; "Collect" page) and CollectTop (`CollectTop(n) OVER (ORDER BY x [ASC|DESC], ...)`: the
first n events as `{"rank": i, "value": event}`, NULL keys lowest; "CollectTop" page). Each keeps an accumulator per open window, merged batch by batch
and JSON-safe for the engine's snapshot; NULLs never reach them (the executor drops them, as for SUM).

Choices where the pages are silent, as T-SQL and DuckDB answer them: the sample forms (STDEV, VAR)
are NULL for fewer than two values, the population forms for none; Collect keeps the events in the
order they were processed ("the order of the values in the array is not guaranteed"); CollectTop ranks
1..n by position, events with equal keys in processing order (the page shows its ties only as an
image)."""

from __future__ import annotations

import math
from typing import Any

from streaming.engine.errors import ExecutionError

VARIANCES = ("stdev", "stdevp", "var", "varp")
PERCENTILES = ("percentile_cont", "percentile_disc")
NAMES = (*VARIANCES, *PERCENTILES, "collect", "collecttop")
"""The aggregate function names this module computes (lower case)."""


def collect_top_kind(count: int) -> str:
    """The accumulator kind of one CollectTop(n) call: n travels in the kind."""
    return f"collecttop:{count}"


def percentile_kind(name: str, fraction: float, descending: bool) -> str:
    """The accumulator kind of one PERCENTILE_* call: its fraction and order travel in the kind."""
    return f"{name}:{fraction!r}:{'desc' if descending else 'asc'}"


_PLAIN = frozenset((*VARIANCES, "collect"))


def handles(kind: str) -> bool:
    """Whether an accumulator kind is one of this module's (a set lookup: called per group and batch)."""
    return kind in _PLAIN or kind.startswith(("percentile_", "collecttop:"))


def initial(kind: str) -> Any:
    if kind in VARIANCES:
        return [0, 0.0, 0.0]  # count, mean, sum of squared deviations (Welford)
    return []  # the values themselves (percentiles, Collect)


def merge(accumulator: Any, kind: str, found: list[Any]) -> None:
    """Add one group's non-NULL values of one batch to its accumulator (in place)."""
    if kind == "collect":
        accumulator.extend(found)
        return
    if kind.startswith("collecttop:"):  # (rank keys, record): keep the first n by keys, ties in order
        accumulator.extend(found)
        accumulator.sort(key=lambda entry: entry[0])
        del accumulator[int(kind.split(":")[1]) :]
        return
    bad = next((v for v in found if isinstance(v, bool) or not isinstance(v, int | float)), None)
    if bad is not None:
        raise ExecutionError(f"{kind.split(':', 1)[0].upper()} needs bigint or float values, got {bad!r}")
    if kind in VARIANCES:
        count, mean, squares = accumulator
        for value in found:
            count += 1
            delta = value - mean
            mean += delta / count
            squares += delta * (value - mean)
        accumulator[:] = [count, mean, squares]
    else:
        accumulator.extend(found)


def final(kind: str, accumulator: Any) -> Any:
    if kind == "collect":
        return list(accumulator)
    if kind.startswith("collecttop:"):
        return [{"rank": position, "value": entry[1]} for position, entry in enumerate(accumulator, start=1)]
    if kind in VARIANCES:
        count, _, squares = accumulator
        divisor = count if kind.endswith("p") else count - 1
        if divisor <= 0:
            return None
        variance = max(squares, 0.0) / divisor
        return math.sqrt(variance) if kind.startswith("stdev") else variance
    name, fraction_text, order = kind.split(":")
    values = sorted(accumulator, reverse=order == "desc")
    if not values:
        return None
    fraction = float(fraction_text)
    if name == "percentile_disc":
        # the first value whose cumulative distribution (position / count) reaches the fraction
        return values[max(math.ceil(fraction * len(values)) - 1, 0)]
    position = fraction * (len(values) - 1)
    below = math.floor(position)
    above = min(below + 1, len(values) - 1)
    return float(values[below] + (position - below) * (values[above] - values[below]))
