"""pytest fixtures for the stand-ins this domain launches (broker, Azurite), shared by every domain's tests.

Registered for the whole repository by the root `conftest.py`. Session-scoped: one broker and one Azurite
per test run, on free loopback ports, stopped by PID at the end.
"""

from __future__ import annotations

import socket
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


def status_before_body(
    port: int, path: str, declared_bytes: int, headers: dict[str, str] | None = None
) -> int:
    """POST to a loopback service declaring a `declared_bytes` body but sending only its first KiB; the
    HTTP status it answers. A service that reads the whole body before answering never answers, and
    the socket timeout fails the caller."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {declared_bytes}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"[" * 1024)
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])
