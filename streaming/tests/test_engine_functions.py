"""Azure ML function calls: batching, request shape, back-off on 503 and refused connections, failures."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from streaming.engine import Engine, FunctionBinding, FunctionCallError, InputEvent, compile_query, records
from streaming.testing import InMemoryTransport, recorded_sleeps

QUERY = """
WITH Scoring AS (SELECT id, udf.score(Rows) AS result FROM Rows)
SELECT id, result.score AS score INTO scored FROM Scoring
"""
START = datetime(2026, 11, 29, 10, tzinfo=UTC)


def engine(transport: InMemoryTransport, batch_size: int = 1000, parallel: int = 1, **options) -> Engine:
    binding = FunctionBinding(
        "score", "http://127.0.0.1:9/score", "k3y", batch_size=batch_size, parallel_requests=parallel
    )
    plan = compile_query(QUERY.replace("Rows", "events"), {"score": binding})
    return Engine(plan, transport=transport, **options)


def events(count: int) -> list[InputEvent]:
    return [
        InputEvent(
            {"id": i, "amount": float(i), "is_foreign": False, "card_present": True},
            START + timedelta(milliseconds=i),
        )
        for i in range(count)
    ]


def _sent_ids(transport: InMemoryTransport) -> list[list[int]]:
    return [[row["id"] for row in body["Inputs"]["data"]] for body in transport.requests]


def test_rows_are_sent_in_batches_of_the_configured_size_in_order() -> None:
    # Two requests at once, and every run the same interleaving: the first batch's answer waits until the
    # second batch has been sent, so the answers come back out of order and the rows must be put back.
    second_sent = threading.Event()

    def score(rows: list[dict]) -> list[dict]:
        if rows[0]["id"] == 1000:
            second_sent.set()
        if rows[0]["id"] == 0 and not second_sent.wait(timeout=60):
            raise AssertionError(
                "parallel=2, yet the second batch was not sent while the first was in flight"
            )
        return [{"score": row["id"] * 10} for row in rows]

    transport = InMemoryTransport(score=score)
    out = records(engine(transport, batch_size=1000, parallel=2).process("events", events(2500)))
    # Which of two parallel requests reaches the transport first is up to the threads: compare as a set.
    assert sorted(_sent_ids(transport)) == [
        list(range(1000)),
        list(range(1000, 2000)),
        list(range(2000, 2500)),
    ]
    assert [r.payload for r in out] == [{"id": i, "score": i * 10} for i in range(2500)]
    assert all(headers["Authorization"] == "Bearer k3y" for headers in transport.headers)


def test_one_request_at_a_time_sends_the_batches_in_row_order() -> None:
    transport = InMemoryTransport(score=lambda rows: [{"score": row["id"] * 10} for row in rows])
    out = records(engine(transport, batch_size=1000, parallel=1).process("events", events(2500)))
    assert _sent_ids(transport) == [list(range(1000)), list(range(1000, 2000)), list(range(2000, 2500))]
    assert [r.payload for r in out] == [{"id": i, "score": i * 10} for i in range(2500)]


def test_503_and_refused_connections_are_retried_with_exponential_backoff() -> None:
    delays, sleep = recorded_sleeps()
    transport = InMemoryTransport(failures=[503, None, 503, 429])
    out = records(engine(transport, sleep=sleep).process("events", events(3)))
    assert delays == [0.1, 0.2, 0.4, 0.8]
    assert len(out) == 3 and len(transport.requests) == 5
    assert all(body == transport.requests[0] for body in transport.requests)  # the same batch, resent


def test_backoff_is_capped() -> None:
    delays, sleep = recorded_sleeps()
    engine(InMemoryTransport(failures=[503] * 12), sleep=sleep, max_backoff_s=1.0).process(
        "events", events(1)
    )
    assert max(delays) == 1.0 and len(delays) == 12


@pytest.mark.parametrize("status", [400, 401, 404, 409])
def test_client_errors_fail_the_job(status: int) -> None:
    with pytest.raises(FunctionCallError, match=f"HTTP {status}") as caught:
        engine(InMemoryTransport(failures=[status])).process("events", events(2))
    assert caught.value.status_code == status


def test_reply_length_different_from_batch_is_an_error() -> None:
    transport = InMemoryTransport(score=lambda rows: [{"score": 1}] * (len(rows) - 1))
    with pytest.raises(FunctionCallError, match="2 results for a batch of 3 rows"):
        engine(transport).process("events", events(3))


def test_engine_without_transport_is_refused_when_the_query_calls_a_function() -> None:
    binding = FunctionBinding("score", "http://127.0.0.1:9/score")
    with pytest.raises(Exception, match="give the engine a transport"):
        Engine(compile_query(QUERY.replace("Rows", "events"), {"score": binding}))


def test_designer_style_reply_is_unwrapped() -> None:
    transport = InMemoryTransport(score=lambda rows: {"WebServiceOutput0": [{"score": 0.5}] * len(rows)})
    out = records(engine(transport).process("events", events(2)))
    assert [r.payload["score"] for r in out] == [0.5, 0.5]
