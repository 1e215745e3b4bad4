"""A thread that reads and decodes the next input batch while the loop computes the current one.

The engine's thread spends part of each cycle waiting for the scoring endpoint; reading Kafka
messages and decoding their JSON meanwhile takes that work off its path. At most one batch waits.
Nothing read here is committed until the loop has written its outputs, so a batch still waiting when
the loop stops is simply read again after a restart.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from streaming.runtime.errors import RunError
from streaming.runtime.source import Batch


class BatchReader:
    def __init__(self, poll: Callable[[], Batch]) -> None:
        self._poll = poll
        self._queue: queue.Queue[Batch] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="batch-reader", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            while not self._stopping.is_set():
                batch = self._poll()
                while not self._stopping.is_set():
                    try:
                        self._queue.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
        except BaseException as exc:  # handed to the loop's thread, which raises it
            self._error = exc

    def next(self) -> Batch:
        """The next batch read (possibly empty: the poll timed out); raises the reading thread's error."""
        while True:
            try:
                return self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._error is not None:
                    raise self._error from None
                if not self._thread.is_alive():
                    raise RunError("the input reader stopped") from None

    def stop(self) -> None:
        """Stop reading (a batch in flight is dropped: its offsets were never committed)."""
        self._stopping.set()
        self._thread.join()
