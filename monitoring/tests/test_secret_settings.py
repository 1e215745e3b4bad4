"""The Azure drift job reads its Application Insights connection string from Key Vault when it starts
(the schedule names the secret, never the value); read against the simulated control plane's vault."""

from __future__ import annotations

import pytest

from environments.azure_sim import SimulatedAzure, SimulatedTransport, StaticCredential
from environments.telemetry_variables import CONNECTION_STRING_SECRET_VAR, CONNECTION_STRING_VAR
from monitoring.drift.secret_settings import SecretSettingError, read_secret, resolve_secret_settings

VAULT = "resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-sim"
URI = "https://kv-sim.vault.azure.net/secrets/appinsights-connection-string"


@pytest.fixture
def azure() -> SimulatedAzure:
    azure = SimulatedAzure()
    azure.arrange("resourceGroups/rg", {"name": "rg", "location": "westeurope"})
    azure.arrange(
        f"{VAULT}/secrets/appinsights-connection-string",
        {"name": "appinsights-connection-string", "properties": {"value": "InstrumentationKey=abc;"}},
    )
    return azure


def test_the_secret_named_by_the_job_becomes_its_connection_string(azure: SimulatedAzure) -> None:
    environ = {CONNECTION_STRING_SECRET_VAR: URI}
    transport = SimulatedTransport(azure)
    names = resolve_secret_settings(environ, lambda uri: read_secret(uri, StaticCredential(), transport))
    assert names == [CONNECTION_STRING_VAR]
    assert environ[CONNECTION_STRING_VAR] == "InstrumentationKey=abc;"


def test_a_connection_string_set_by_hand_wins_and_nothing_is_read() -> None:
    environ = {CONNECTION_STRING_SECRET_VAR: URI, CONNECTION_STRING_VAR: "InstrumentationKey=local;"}
    assert resolve_secret_settings(environ, lambda uri: pytest.fail(f"read {uri}")) == []
    assert resolve_secret_settings({}, lambda uri: pytest.fail(f"read {uri}")) == []


def test_a_missing_secret_names_the_secret(azure: SimulatedAzure) -> None:
    missing = "https://kv-sim.vault.azure.net/secrets/no-such-secret"
    with pytest.raises(SecretSettingError, match=r"no-such-secret: HTTP 404"):
        read_secret(missing, StaticCredential(), SimulatedTransport(azure))
