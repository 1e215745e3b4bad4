"""A configured local port that is taken fails the loop before anything starts, in one line naming the
port, what it is for and the process holding it (a real listening socket holds it here)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from environments.deploy.local import run_local
from environments.loader import OVERRIDES_VARIABLE, load_environment
from environments.standins import StandInError, free_port
from environments.standins.ports import check_ports_free, port_holder, port_taken

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def listening() -> Iterator[int]:
    """A port this test process listens on (bound before its number is used: no race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_listening_port_is_taken_and_its_holder_is_named(listening: int) -> None:
    assert port_taken(listening)
    holder = port_holder(listening)
    assert holder is not None and holder.startswith(f"pid {os.getpid()} (")


def test_a_free_port_passes(listening: int) -> None:
    other = free_port()
    assert not port_taken(other)
    check_ports_free({other: "something"})


def test_each_taken_port_is_one_line_with_purpose_and_holder(listening: int) -> None:
    with pytest.raises(StandInError) as caught:
        check_ports_free(
            {listening: "broker: Event Hubs, local.broker_port", free_port(): "free"}, hint="; hint"
        )
    (line,) = str(caught.value).splitlines()
    assert line.startswith(
        f"port {listening} (broker: Event Hubs, local.broker_port) is in use, held by pid "
    )
    assert f"pid {os.getpid()} " in line and line.endswith("; hint")


def test_local_loop_stops_before_starting_anything_when_a_port_is_taken(
    listening: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    overrides = tmp_path / "overrides.yml"
    ports = {"broker_port": free_port(), "azurite_blob_port": listening}
    ports |= {"collector_port": free_port(), "endpoint_port": free_port()}
    overrides.write_text(yaml.safe_dump({"local": {"state_dir": str(state), **ports}}))
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(overrides))

    assert run_local(load_environment("local"), ROOT, once=True, events=10) == 1

    errors = [line for line in capsys.readouterr().out.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: port {listening} (azurite: Azurite (Blob Storage), local.azurite_blob_port) is in use, "
        f"held by {port_holder(listening)}; stop it, or set another port in a YAML file named by "
        f"${OVERRIDES_VARIABLE}"
    ]
    assert not (state / "logs").exists()  # nothing was started
