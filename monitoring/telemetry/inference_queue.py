"""The bounded queue between scoring calls and the inference log's export thread (pure logic, no I/O).

A scoring call puts its batch's rows in one call; when the queue is full it waits (back-pressure: scoring
slows to what the exporter sends) up to a deadline, and only then reports how many rows it could not
queue, so the caller counts and logs them. The OpenTelemetry batch processor it replaces drops records
when its queue is full with a log line that carries no count ("Queue full, dropping log.").
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")


class InferenceQueue(Generic[Item]):
    """FIFO of at most `capacity` rows; `take` hands out batches of at most `batch_rows`."""

    def __init__(self, capacity: int, batch_rows: int) -> None:
        if capacity < 1 or batch_rows < 1:
            raise ValueError(f"capacity ({capacity}) and batch_rows ({batch_rows}) must be at least 1")
        self.capacity = capacity
        self.batch_rows = batch_rows
        self._items: deque[Item] = deque()
        self._in_flight = 0
        self._closed = False
        self._changed = threading.Condition()

    def put(self, items: Sequence[Item], timeout_s: float) -> int:
        """Queue `items` in order, waiting for room up to `timeout_s`; returns how many were NOT queued."""
        deadline = time.monotonic() + timeout_s
        queued = 0
        with self._changed:
            while queued < len(items) and not self._closed:
                room = self.capacity - len(self._items)
                if room <= 0:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._changed.wait(remaining)
                    continue
                part = items[queued : queued + room]
                self._items.extend(part)
                queued += len(part)
                self._changed.notify_all()
        return len(items) - queued

    def take(self, timeout_s: float) -> list[Item]:
        """Up to `batch_rows` rows, waiting up to `timeout_s` for the first; [] on timeout or close.

        The rows count as in flight until `done` is called for them, so `wait_idle` waits for the send.
        """
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not self._items and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._changed.wait(remaining)
            count = min(self.batch_rows, len(self._items))
            batch = [self._items.popleft() for _ in range(count)]
            self._in_flight += count
            self._changed.notify_all()
            return batch

    def done(self, count: int) -> None:
        """`count` rows handed out by `take` are finished with (sent, spooled or counted lost)."""
        with self._changed:
            self._in_flight -= count
            self._changed.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until nothing is queued or in flight; False if `timeout_s` passed first."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while self._items or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def close(self) -> list[Item]:
        """Refuse further rows, wake every waiter, and return the rows still queued."""
        with self._changed:
            self._closed = True
            left = list(self._items)
            self._items.clear()
            self._changed.notify_all()
            return left

    def __len__(self) -> int:
        with self._changed:
            return len(self._items)
