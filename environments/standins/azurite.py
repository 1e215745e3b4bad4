"""Azurite, the Azure Storage emulator, standing in for Blob Storage (npm `azurite@3.35.0`, installed into
`tools/node` by `npm ci`; 3.36+ needs Node 22)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from environments.standins.process import ManagedProcess, StandInError, free_port, port_open
from environments.standins.well_known import azurite_blob_endpoint, azurite_connection_string

REPO_ROOT = Path(__file__).resolve().parents[2]
AZURITE_BIN = REPO_ROOT / "tools" / "node" / "node_modules" / ".bin" / "azurite-blob"


@dataclass
class Azurite:
    process: ManagedProcess
    port: int

    @property
    def blob_endpoint(self) -> str:
        return azurite_blob_endpoint(self.port)

    @property
    def connection_string(self) -> str:
        return azurite_connection_string(self.port)

    def stop(self) -> None:
        self.process.stop()


def start_azurite(
    state_dir: Path, port: int | None = None, timeout_s: float = 60.0, die_with_parent: bool = False
) -> Azurite:
    """Start Azurite's blob service on 127.0.0.1 with its data under `state_dir/azurite`."""
    if not AZURITE_BIN.exists():
        raise StandInError(
            f"Azurite is not installed at {AZURITE_BIN}: run `npm ci --prefix tools/node` "
            "(nox sessions that need it do this for you)"
        )
    port = port or free_port()
    if port_open(port):
        raise StandInError(f"azurite: port {port} on 127.0.0.1 is already in use")
    data = state_dir / "azurite"
    data.mkdir(parents=True, exist_ok=True)
    process = ManagedProcess(
        name=f"azurite on 127.0.0.1:{port}",
        argv=[
            str(AZURITE_BIN),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(data),
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--loose",
        ],
        log_path=state_dir / "logs" / "azurite.log",
        die_with_parent=die_with_parent,
    ).start()
    process.wait_ready(lambda: port_open(port), timeout_s)
    return Azurite(process=process, port=port)
