"""The stand-ins' well-known values, as the Azure SDK reads them (one owner: environments.standins.well_known)."""

from __future__ import annotations

from azure.storage.blob import BlobServiceClient

from environments.standins.well_known import (
    AZURITE_ACCOUNT,
    AZURITE_ACCOUNT_KEY,
    azurite_blob_endpoint,
    azurite_connection_string,
)


def test_connection_string_names_the_development_account_on_the_given_port() -> None:
    client = BlobServiceClient.from_connection_string(azurite_connection_string(41234))
    assert client.account_name == AZURITE_ACCOUNT
    assert client.credential.account_key == AZURITE_ACCOUNT_KEY
    assert client.url.rstrip("/") == azurite_blob_endpoint(41234) == "http://127.0.0.1:41234/devstoreaccount1"
