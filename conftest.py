"""Repository-wide pytest set-up: every domain's shared fixtures are registered here, and the test tiers
are enforced.

Tiers: `nox -s unit` runs `-m "not services and not slow"`; `services` marks every test that starts a
stand-in (broker, Azurite, collector, azmlinfsrv, any process started through `ManagedProcess`), `slow`
the end-to-end loop. A test that uses one of the stand-in fixtures below is marked `services` here at
collection; a test that is not marked and starts a stand-in process some other way fails, saying to mark it.
"""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest

from environments.standins.process import ManagedProcess, StandInError

pytest_plugins = ["environments.testing", "ml.testing", "monitoring.testing", "streaming.testing"]

# The session fixtures that start a stand-in (each domain's testing.py); a fixture built on one of
# them is seen too, since pytest lists every fixture a test uses, directly or not.
STANDIN_FIXTURES = frozenset({"kafka_broker", "azurite", "collector", "scoring_server"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if STANDIN_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


def _refuse_start(self: ManagedProcess) -> ManagedProcess:
    raise StandInError(
        f"{self.name}: this test starts a stand-in process but is not marked `services`; "
        "add @pytest.mark.services (or use a stand-in fixture) so that `nox -s unit` leaves it out"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("services"):
        return (yield)
    with mock.patch.object(ManagedProcess, "start", _refuse_start):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("services"):
        return (yield)
    with mock.patch.object(ManagedProcess, "start", _refuse_start):
        return (yield)
