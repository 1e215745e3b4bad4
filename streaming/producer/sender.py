"""Send events to a Kafka endpoint at a target rate, with a partition key, showing progress."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from streaming.errors import StreamingError


class ProduceError(StreamingError):
    """Root of the producer's errors: a bad input file or events the broker did not accept."""


@dataclass
class SendReport:
    sent: int
    failed: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


def send_events(
    client_config: Mapping[str, Any],
    topic: str,
    events: Iterable[dict[str, Any]],
    *,
    rate: float | None = None,
    duration_s: float | None = None,
    key_field: str | None = None,
    stamp: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> SendReport:
    """Produce `events` to `topic`, at most `rate` per second, stopping after `duration_s` if given.

    `stamp` may rewrite each event just before it is sent (e.g. set its event time to now).
    Waits for every acknowledgement; raises ProduceError if any event was not accepted.
    """
    failures: list[str] = []

    def delivered(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            failures.append(str(error))

    producer = Producer(
        {**client_config, "acks": "all", "linger.ms": 10, "queue.buffering.max.messages": 1_000_000}
    )
    started = time.monotonic()
    sent = 0
    for event in events:
        now = time.monotonic()
        if duration_s is not None and now - started >= duration_s:
            break
        if rate:
            ahead = sent / rate - (now - started)
            if ahead > 0:
                producer.poll(ahead)
                time.sleep(max(0.0, sent / rate - (time.monotonic() - started)))
        if stamp is not None:
            event = stamp(event)
        value = json.dumps(event, separators=(",", ":")).encode("utf-8")
        key = event.get(key_field) if key_field else None
        while True:
            try:
                producer.produce(
                    topic, value=value, key=None if key is None else str(key).encode(), on_delivery=delivered
                )
                break
            except BufferError:
                producer.poll(0.05)
        sent += 1
        if sent % 1000 == 0:
            producer.poll(0)
            if progress is not None:
                progress(sent)
    pending = producer.flush(60)
    elapsed = time.monotonic() - started
    if progress is not None:
        progress(sent)
    if pending or failures:
        raise ProduceError(
            f"topic {topic}: {pending} events unacknowledged, {len(failures)} refused"
            + (f" (first: {failures[0]})" if failures else "")
        )
    return SendReport(sent=sent, failed=0, seconds=elapsed)
