"""How the telemetry exporters sign in: Entra ID on Azure (a managed identity named by
APPLICATIONINSIGHTS_AUTHENTICATION_STRING, or a credential passed in code), the key locally."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.identity import ManagedIdentityCredential
from opentelemetry.sdk.resources import Resource

from environments.azure_sim import StaticCredential
from environments.telemetry_variables import (
    AUTHENTICATION_STRING_VAR,
    CONNECTION_STRING_VAR,
    entra_authentication,
)
from monitoring.telemetry.configure import sign_in
from monitoring.telemetry.errors import TelemetryConfigError
from monitoring.telemetry.inference_export import InferenceExporter
from monitoring.telemetry.settings import resolve_settings

AZURE = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://westeurope.in.applicationinsights.azure.com/"
LOCAL = "InstrumentationKey=00000000-0000-0000-0000-000000000002;IngestionEndpoint=http://127.0.0.1:9/"


@pytest.fixture
def exporter_for(tmp_path) -> Iterator:
    made: list[InferenceExporter] = []

    def make(connection_string: str, credential=None) -> InferenceExporter:
        exporter = InferenceExporter(
            connection_string, Resource.create({}), tmp_path / "spool", lambda _: None, credential
        )
        made.append(exporter)
        return exporter

    yield make
    for exporter in made:
        exporter.close(1.0)


def test_the_variable_names_the_managed_identity(monkeypatch, exporter_for) -> None:
    monkeypatch.setenv(AUTHENTICATION_STRING_VAR, entra_authentication("1111-client"))
    exporter = exporter_for(AZURE)
    credential = exporter._exporter._credential
    assert isinstance(credential, ManagedIdentityCredential)
    settings = resolve_settings(
        "drift",
        environ={
            CONNECTION_STRING_VAR: AZURE,
            AUTHENTICATION_STRING_VAR: "Authorization=AAD;ClientId=1111-client",
        },
    )
    assert sign_in(settings) == "Entra ID (managed identity, client id 1111-client)"


def test_a_credential_in_code_wins(monkeypatch, exporter_for) -> None:
    monkeypatch.setenv(AUTHENTICATION_STRING_VAR, entra_authentication())
    given = StaticCredential()
    assert exporter_for(AZURE, given)._exporter._credential is given
    assert sign_in(resolve_settings("score", environ={CONNECTION_STRING_VAR: AZURE}), given).startswith(
        "Entra ID"
    )


def test_locally_the_collector_gets_the_key(monkeypatch, exporter_for) -> None:
    monkeypatch.delenv(AUTHENTICATION_STRING_VAR, raising=False)
    assert exporter_for(LOCAL)._exporter._credential is None
    settings = resolve_settings("score", environ={CONNECTION_STRING_VAR: LOCAL})
    assert settings.entra_sign_in is None and sign_in(settings) == "instrumentation key"


@pytest.mark.parametrize("value", ["Authorization=Key", "Authorization=AAD;Client=1", "AAD"])
def test_a_malformed_variable_is_an_error_not_a_fallback_to_the_key(value: str) -> None:
    # The exporter itself only logs it and sends with the key, which the component refuses.
    with pytest.raises(TelemetryConfigError, match=AUTHENTICATION_STRING_VAR):
        resolve_settings("score", environ={CONNECTION_STRING_VAR: AZURE, AUTHENTICATION_STRING_VAR: value})
