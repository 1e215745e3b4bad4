"""Window assignment: (start, end] intervals aligned to the epoch plus offset, every documented form."""

from __future__ import annotations

import pytest

from streaming.engine import ast
from streaming.engine.parser import parse
from streaming.engine.windows import WindowSpec, window_spec

SECOND = 1_000_000
MINUTE = 60 * SECOND


def spec_of(group_by: str) -> WindowSpec:
    query = parse(f"SELECT COUNT(*) AS c INTO o FROM a GROUP BY {group_by}")
    call = query.statements[0].group_by[0]
    assert isinstance(call, ast.Call)
    return window_spec(call)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TumblingWindow(minute, 5)", WindowSpec("tumbling", 5 * MINUTE, 5 * MINUTE)),
        ("Tumbling(mi, 5)", WindowSpec("tumbling", 5 * MINUTE, 5 * MINUTE)),
        ("TumblingWindow(minute, 5, 1)", WindowSpec("tumbling", 5 * MINUTE, 5 * MINUTE, MINUTE)),
        (
            "TumblingWindow(Duration(minute, 5), Offset(second, 30))",
            WindowSpec("tumbling", 5 * MINUTE, 5 * MINUTE, 30 * SECOND),
        ),
        ("HoppingWindow(second, 10, 5)", WindowSpec("hopping", 10 * SECOND, 5 * SECOND)),
        ("Hopping(ss, 10, 5, 2)", WindowSpec("hopping", 10 * SECOND, 5 * SECOND, 2 * SECOND)),
        (
            "HoppingWindow(Duration(hour, 1), Hop(minute, 15))",
            WindowSpec("hopping", 60 * MINUTE, 15 * MINUTE),
        ),
        (
            "HoppingWindow(Duration(hour, 1), Hop(minute, 15), Offset(millisecond, -1))",
            WindowSpec("hopping", 60 * MINUTE, 15 * MINUTE, -1000),
        ),
    ],
)
def test_documented_forms(text: str, expected: WindowSpec) -> None:
    assert spec_of(text) == expected


def test_tumbling_end_is_inclusive_start_exclusive() -> None:
    window = spec_of("TumblingWindow(minute, 5)")
    assert window.ends(0) == [0]  # exactly on a boundary: the window (-5 min, 0]
    assert window.ends(1) == [5 * MINUTE]
    assert window.ends(5 * MINUTE) == [5 * MINUTE]
    assert window.ends(5 * MINUTE + 1) == [10 * MINUTE]


def test_tumbling_offset_shifts_boundaries() -> None:
    window = spec_of("TumblingWindow(minute, 5, 1)")
    assert window.ends(0) == [MINUTE]
    assert window.ends(MINUTE + 1) == [6 * MINUTE]


def test_offset_minus_one_millisecond_makes_start_inclusive() -> None:
    window = spec_of("TumblingWindow(Duration(second, 10), Offset(millisecond, -1))")
    # an event exactly at 10 s belongs to the window [10 s, 20 s) -> end 20 s - 1 ms
    assert window.ends(10 * SECOND) == [20 * SECOND - 1000]


def test_hopping_event_in_every_overlapping_window() -> None:
    window = spec_of("HoppingWindow(second, 10, 5)")
    assert window.ends(3 * SECOND) == [5 * SECOND, 10 * SECOND]
    assert window.ends(5 * SECOND) == [5 * SECOND, 10 * SECOND]
    assert window.ends(6 * SECOND) == [10 * SECOND, 15 * SECOND]


def test_batch_assignment_matches_per_event_assignment() -> None:
    import random

    rng = random.Random(7)
    for window in (
        WindowSpec("tumbling", 5 * SECOND, 5 * SECOND, -1000),
        WindowSpec("tumbling", MINUTE, MINUTE),
    ):
        times = [rng.randrange(-10 * MINUTE, 10 * MINUTE) for _ in range(500)] + [
            0,
            MINUTE,
            -MINUTE,
            5 * SECOND,
        ]
        assert window.first_ends(times) == [window.ends(t)[0] for t in times]
