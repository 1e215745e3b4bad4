"""pytest fixtures for the stand-ins this domain launches (broker, Azurite), shared by every domain's tests.

Registered for the whole repository by the root `conftest.py`. Session-scoped: one broker and one Azurite
per test run, on free loopback ports, stopped by PID at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from environments.standins import Azurite, Broker, start_azurite, start_broker


@pytest.fixture(scope="session")
def standin_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the stand-ins' data and logs, kept by pytest for inspection after a failure."""
    return tmp_path_factory.mktemp("standins")


@pytest.fixture(scope="session")
def kafka_broker(standin_state_dir: Path) -> Iterator[Broker]:
    broker = start_broker(standin_state_dir)
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def azurite(standin_state_dir: Path) -> Iterator[Azurite]:
    server = start_azurite(standin_state_dir)
    yield server
    server.stop()
