"""`InputClock.accept_columns` (the batch path) decides exactly as `accept` does event by event."""

from __future__ import annotations

import random

import pytest

from streaming.engine.ordering import EventOrdering, InputClock

SECOND = 1_000_000


def _batches(seed: int) -> list[list[tuple[int, int | None, int, int]]]:
    """Batches of (partition, event time, arrival, item): late, early, out-of-order and missing times."""
    rng = random.Random(seed)
    clock, item, batches = 1_000 * SECOND, 0, []
    for _ in range(6):
        batch = []
        for _ in range(rng.randint(0, 60)):
            clock += rng.randint(0, SECOND // 2)
            item += 1
            roll = rng.random()
            if roll < 0.05:
                event_time = None
            elif roll < 0.1:
                event_time = clock + rng.randint(5 * 60, 7 * 60) * SECOND  # early
            else:
                event_time = clock - rng.randint(-2 * SECOND, 20 * SECOND)
            batch.append((rng.randint(0, 3), event_time, clock, item))
        batches.append(batch)
    return batches


def _canonical(snapshot: dict) -> dict:
    """A snapshot with each buffer sorted (a heap's layout depends on how it was built)."""
    for partition in snapshot["partitions"].values():
        partition["buffer"] = sorted(partition["buffer"])
    return snapshot


@pytest.mark.parametrize("event_time", [True, False])
@pytest.mark.parametrize("policy", ["Adjust", "Drop"])
@pytest.mark.parametrize(("late", "out_of_order"), [(5, 0), (15, 5), (-1, 3), (0, 0)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_path_matches_event_path(
    seed: int, late: int, out_of_order: int, policy: str, event_time: bool
) -> None:
    ordering = EventOrdering(late, out_of_order, policy)  # type: ignore[arg-type]
    one, many = InputClock(ordering, event_time, [0, 1]), InputClock(ordering, event_time, [0, 1])
    for batch in _batches(seed):
        one.accept_many(batch)
        many.accept_columns(
            *(list(column) for column in zip(*batch, strict=True)) if batch else ([], [], [], [])
        )
        assert many.release() == one.release()
        assert _canonical(many.snapshot()) == _canonical(one.snapshot())
    assert many.release(flush=True) == one.release(flush=True)
