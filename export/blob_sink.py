"""Writes hour blobs into the inference container (Azure Storage or Azurite, same SDK)."""

from __future__ import annotations

from typing import Any

from export.errors import SinkError

AZURE_BLOB_URL = "https://{account}.blob.core.windows.net"


class BlobSink:
    """One container; `write` replaces a blob whole, so re-running an hour rewrites it."""

    def __init__(self, container_client: Any) -> None:
        self._container = container_client
        self.description = f"{container_client.url}"

    @classmethod
    def from_connection_string(cls, connection_string: str, container: str) -> BlobSink:
        from azure.storage.blob import BlobServiceClient

        try:
            service = BlobServiceClient.from_connection_string(connection_string)
        except ValueError as exc:
            raise SinkError(f"blob connection string is not usable: {exc}") from exc
        return cls(service.get_container_client(container))

    @classmethod
    def from_account(cls, account: str, container: str) -> BlobSink:
        """Azure: `azure_credential()` (the deploy identity needs Storage Blob Data Contributor)."""
        from azure.storage.blob import BlobServiceClient

        from environments.azure_credential import azure_credential

        service = BlobServiceClient(AZURE_BLOB_URL.format(account=account), credential=azure_credential())
        return cls(service.get_container_client(container))

    def ensure_container(self) -> None:
        from azure.core.exceptions import AzureError, ResourceExistsError

        try:
            self._container.create_container()
        except ResourceExistsError:
            pass
        except AzureError as exc:
            raise SinkError(f"cannot create container {self.description}: {exc}") from exc

    def write(self, name: str, data: bytes) -> None:
        from azure.core.exceptions import AzureError

        try:
            self._container.upload_blob(name, data, overwrite=True)
        except AzureError as exc:
            raise SinkError(f"cannot write blob {name} to {self.description}: {exc}") from exc

    def read(self, name: str) -> bytes:
        """A blob's bytes (checks and benchmarks)."""
        from azure.core.exceptions import AzureError

        try:
            return self._container.download_blob(name).readall()
        except AzureError as exc:
            raise SinkError(f"cannot read blob {name} from {self.description}: {exc}") from exc
