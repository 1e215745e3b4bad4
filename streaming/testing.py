"""Test support of the streaming domain, registered as a pytest plugin in the root `conftest.py`.

`scoring_server`: the real azmlinfsrv on 127.0.0.1 serving `streaming/tests/fixtures/score.py`, a small
scoring script with the contract's request and reply shape (docs/contracts.md, "Scoring endpoint").
`start_scoring_server` starts more (for tests that stop and restart the endpoint).
`read_topic`: the keys and JSON rows on a topic of the local broker, once at least `expected` are there.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from confluent_kafka import Consumer

from environments.standins import Broker, wait_until
from streaming.bench.scoring_standin import STAND_IN_SCORE_SCRIPT, ScoringServer, start_scoring_server

__all__ = ["STAND_IN_SCORE_SCRIPT", "ScoringServer", "read_topic", "scoring_server", "start_scoring_server"]


@pytest.fixture(scope="session")
def scoring_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScoringServer]:
    """azmlinfsrv serving the stand-in score.py on a free loopback port, for the whole session."""
    server = start_scoring_server(STAND_IN_SCORE_SCRIPT, tmp_path_factory.mktemp("scoring"))
    yield server
    server.stop()


def read_topic(broker: Broker, topic: str, expected: int) -> list[tuple[bytes | None, dict[str, Any]]]:
    """(key, row) of every message on `topic` from its start, once at least `expected` have arrived."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": f"check-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
        }
    )
    consumer.subscribe([topic])
    rows: list[tuple[bytes | None, dict[str, Any]]] = []

    def read() -> bool:
        for message in consumer.consume(1000, timeout=0.5):
            if message.error() is None:
                rows.append((message.key(), json.loads(message.value())))
        return len(rows) >= expected

    try:
        wait_until(read, 60, f"{expected} messages on topic {topic}", interval_s=0)
    finally:
        consumer.close()
    return rows


if TYPE_CHECKING:
    from collections.abc import Callable

    from streaming.engine import FunctionRequest, FunctionResponse


class InMemoryTransport:
    """A function `Transport` in memory: answers with `score(rows)`, or with scripted failures first.

    `failures` is a list of HTTP status codes (or `None` for a refused connection) returned, one per
    request, before the normal answers; every request body is kept in `requests` (decoded JSON).
    """

    def __init__(
        self,
        score: Callable[[list[dict]], list[dict]] | None = None,
        failures: list[int | None] | None = None,
        output_name: str = "Results",
    ) -> None:
        from streaming.querytest.standin import stand_in_score

        self.score = score or (lambda rows: [stand_in_score(row) for row in rows])
        self.failures = list(failures or [])
        self.output_name = output_name
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []

    def send(self, request: FunctionRequest) -> FunctionResponse:
        import json

        from streaming.engine import FunctionResponse, TransientTransportError

        body = json.loads(request.body)
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.failures:
            status = self.failures.pop(0)
            if status is None:
                raise TransientTransportError("connection refused (scripted)")
            return FunctionResponse(status, b'{"error": "scripted failure"}')
        rows = next(iter(next(iter(body.values())).values()))
        return FunctionResponse(200, json.dumps({self.output_name: self.score(rows)}).encode())


def recorded_sleeps() -> tuple[list[float], Callable[[float], None]]:
    """A `sleep` stand-in for back-off tests: returns (the delays asked for, the function to pass)."""
    delays: list[float] = []
    return delays, delays.append
