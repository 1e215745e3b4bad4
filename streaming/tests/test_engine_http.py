"""The engine calling a real HTTP endpoint: azmlinfsrv serving the contract's stand-in score.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from environments.standins import free_port
from streaming.engine import (
    Engine,
    EventOrdering,
    FunctionBinding,
    FunctionCallError,
    HttpTransport,
    InputEvent,
    compile_query,
    records,
)
from streaming.querytest.standin import stand_in_score
from streaming.testing import ScoringServer

QUERY = """
WITH Scoring AS (SELECT transaction_id, udf.score(Valid) AS result FROM Valid TIMESTAMP BY event_time)
SELECT transaction_id, result.score AS score, result.error AS error INTO scored FROM Scoring
"""
START = datetime(2026, 11, 29, 10, tzinfo=UTC)


def events(amounts: list[object]) -> list[InputEvent]:
    return [
        InputEvent(
            {
                "transaction_id": f"t{i}",
                "amount": a,
                "event_time": (START + timedelta(seconds=i)).isoformat(),
            },
            START + timedelta(seconds=i),
        )
        for i, a in enumerate(amounts)
    ]


def test_scores_come_back_in_row_order_over_http(scoring_server: ScoringServer) -> None:
    """Five rows in batches of two, two requests in flight: each row gets the score of its own record
    (the stand-in scores any schema, `streaming.querytest.standin`), and a bad row comes back flagged."""
    binding = FunctionBinding(
        "score", scoring_server.scoring_uri, "local-key", batch_size=2, parallel_requests=2
    )
    engine = Engine(compile_query(QUERY, {"score": binding}), EventOrdering(), HttpTransport(timeout_s=30))
    sent = events([100.0, 2500.0, None, 50.0, 9000.0])
    try:
        out = records(engine.process("Valid", sent))
    finally:
        engine.close()
    expected = [(e.payload["transaction_id"], stand_in_score(dict(e.payload))["score"]) for e in sent]
    assert [(r.payload["transaction_id"], r.payload["score"]) for r in out] == expected
    assert len({score for _, score in expected if score is not None}) == 4, "distinct scores: order shows"
    assert expected[2][1] is None and "amount: missing" in out[2].payload["error"]
    assert engine.counters()["functions"]["score"]["requests"] == 3


def test_an_endpoint_that_is_not_there_is_retried_then_reported() -> None:
    binding = FunctionBinding("score", f"http://127.0.0.1:{free_port()}/score")
    engine = Engine(
        compile_query(QUERY, {"score": binding}),
        EventOrdering(),
        HttpTransport(timeout_s=2),
        first_backoff_s=0.01,
        give_up_after_s=0.2,
    )
    with pytest.raises(FunctionCallError, match=r"gave up after 0\.2 s: .*ConnectError"):
        engine.process("Valid", events([1.0]))
    assert engine.counters()["functions"]["score"]["retries"] >= 1
