"""Test support of the streaming domain, registered as a pytest plugin in the root `conftest.py`.

`scoring_server`: the real azmlinfsrv on 127.0.0.1 serving `streaming/tests/fixtures/score.py`, a small
scoring script with the contract's request and reply shape (docs/contracts.md, "Scoring endpoint").
`start_scoring_server` starts more (for tests that stop and restart the endpoint).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streaming.bench.scoring_standin import ScoringServer, start_scoring_server

STAND_IN_SCORE_SCRIPT = Path(__file__).resolve().parent / "tests" / "fixtures" / "score.py"

__all__ = ["STAND_IN_SCORE_SCRIPT", "ScoringServer", "scoring_server", "start_scoring_server"]


@pytest.fixture(scope="session")
def scoring_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScoringServer]:
    """azmlinfsrv serving the stand-in score.py on a free loopback port, for the whole session."""
    server = start_scoring_server(STAND_IN_SCORE_SCRIPT, tmp_path_factory.mktemp("scoring"))
    yield server
    server.stop()
