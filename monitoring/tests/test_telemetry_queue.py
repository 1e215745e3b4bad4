"""The inference log's bounded queue: waits for room instead of dropping, and says what it could not queue."""

from __future__ import annotations

import threading

from monitoring.telemetry.inference_queue import InferenceQueue


def test_rows_come_out_in_order_in_batches() -> None:
    queue: InferenceQueue[int] = InferenceQueue(capacity=10, batch_rows=4)
    assert queue.put(list(range(10)), timeout_s=0) == 0
    batches = [queue.take(timeout_s=0) for _ in range(3)]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert queue.take(timeout_s=0) == []


def test_a_full_queue_makes_the_caller_wait_until_the_sender_takes_rows() -> None:
    queue: InferenceQueue[int] = InferenceQueue(capacity=3, batch_rows=3)
    queue.put([0, 1, 2], timeout_s=0)
    result: list[int] = []
    waiting = threading.Thread(target=lambda: result.append(queue.put([3, 4], timeout_s=30)))
    waiting.start()
    taken = queue.take(timeout_s=5)
    queue.done(len(taken))
    waiting.join(timeout=30)
    assert result == [0]  # every row queued, none refused
    assert taken + queue.take(timeout_s=0) == [0, 1, 2, 3, 4]


def test_rows_that_cannot_wait_longer_are_reported_not_dropped() -> None:
    queue: InferenceQueue[int] = InferenceQueue(capacity=3, batch_rows=3)
    assert queue.put([0, 1, 2, 3, 4], timeout_s=0.01) == 2
    assert len(queue) == 3


def test_idle_only_when_the_rows_taken_are_done() -> None:
    queue: InferenceQueue[int] = InferenceQueue(capacity=5, batch_rows=5)
    queue.put([1, 2], timeout_s=0)
    taken = queue.take(timeout_s=0)
    assert not queue.wait_idle(timeout_s=0.01)
    queue.done(len(taken))
    assert queue.wait_idle(timeout_s=0.01)


def test_close_returns_the_rows_left_and_refuses_more() -> None:
    queue: InferenceQueue[int] = InferenceQueue(capacity=5, batch_rows=5)
    queue.put([1, 2], timeout_s=0)
    assert queue.close() == [1, 2]
    assert queue.put([3], timeout_s=1) == 1
