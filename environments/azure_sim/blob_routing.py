"""Blob storage of the simulated subscription, kept by a real local Azurite (test code).

azure-ai-ml uploads code, data and model files, and downloads job outputs and models, with a storage
client it builds itself (`azure.ai.ml._artifacts._blob_storage_helper.BlobStorageClient`), from the
datastore's account name (`https://<account>.blob.core.windows.net`) or from a SAS URI the service
answered; it never takes the caller's transport. `route_blobs_to(azurite_endpoint)` is the one place
that sends those clients to Azurite instead: every `https://<account>.blob.<suffix>/...` becomes
Azurite's path-style `http://127.0.0.1:<port>/<account>/...`. The simulator names Azurite's development
account in every datastore and SAS URI it answers, so the bytes really land in Azurite and are read back
from there (the simulator's job outputs included, `BlobStore`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from environments.standins.well_known import AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY

BLOB_SUFFIX = ".blob.core.windows.net"
STORAGE_ACCOUNT = AZURITE_ACCOUNT
"""The storage account of every simulated datastore and registry (Azurite's development account)."""
STORAGE_KEY = AZURITE_ACCOUNT_KEY


def account_url(account: str = STORAGE_ACCOUNT) -> str:
    """The public blob endpoint of `account`, as Azure names it (and azure-ai-ml builds it)."""
    return f"https://{account}{BLOB_SUFFIX}"


def to_azurite(url: str, azurite_endpoint: str) -> str:
    """`https://<account>.blob.core.windows.net/<rest>` -> `<azurite host>/<account>/<rest>`; other URLs as
    they are. `azurite_endpoint` is Azurite's `http://127.0.0.1:<port>/<account>`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.endswith(BLOB_SUFFIX):
        return url
    azurite = urlsplit(azurite_endpoint)
    account = host.removesuffix(BLOB_SUFFIX)
    query = f"?{parts.query}" if parts.query else ""
    return f"{azurite.scheme}://{azurite.netloc}/{account}{parts.path}{query}"


@contextmanager
def route_blobs_to(azurite_endpoint: str) -> Iterator[None]:
    """While open, azure-ai-ml's storage clients talk to Azurite (see the module docstring)."""
    from azure.ai.ml._artifacts import _blob_storage_helper as helper
    from azure.storage.blob import BlobServiceClient, ContainerClient

    class RoutedService(BlobServiceClient):
        def __init__(self, account_url: str, credential: Any = None, **kwargs: Any) -> None:
            super().__init__(to_azurite(account_url, azurite_endpoint), credential=credential, **kwargs)

    class RoutedContainer(ContainerClient):
        @classmethod
        def from_container_url(cls, container_url: str, credential: Any = None, **kwargs: Any) -> Any:
            return ContainerClient.from_container_url(
                to_azurite(container_url, azurite_endpoint), credential=credential, **kwargs
            )

    saved = helper.BlobServiceClient, helper.ContainerClient
    helper.BlobServiceClient, helper.ContainerClient = RoutedService, RoutedContainer  # type: ignore[misc]
    try:
        yield
    finally:
        helper.BlobServiceClient, helper.ContainerClient = saved  # type: ignore[misc]


class BlobStore:
    """The simulator's own access to the blobs (what a job leaves in its outputs), in Azurite."""

    def __init__(self, azurite_endpoint: str) -> None:
        from azure.storage.blob import BlobServiceClient

        self.endpoint = azurite_endpoint
        self.service = BlobServiceClient(azurite_endpoint, credential=STORAGE_KEY)

    def ensure_container(self, container: str) -> None:
        """The container exists (a workspace's default one is created with its storage account)."""
        client = self.service.get_container_client(container)
        if not client.exists():
            client.create_container()

    def upload_folder(self, container: str, prefix: str, folder: Path) -> list[str]:
        """Upload every file under `folder` to `container/prefix/<relative path>`; the blob names."""
        self.ensure_container(container)
        client = self.service.get_container_client(container)
        names = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = f"{prefix.strip('/')}/{path.relative_to(folder).as_posix()}"
            with path.open("rb") as data:
                client.upload_blob(name, data, overwrite=True)
            names.append(name)
        return names

    def container_sas_url(self, container: str) -> str:
        """A read/list SAS URL of `container` in Azure's public form (routed to Azurite while open)."""
        from datetime import UTC, datetime, timedelta

        from azure.storage.blob import ContainerSasPermissions, generate_container_sas

        sas = generate_container_sas(
            STORAGE_ACCOUNT,
            container,
            account_key=STORAGE_KEY,
            permission=ContainerSasPermissions(read=True, list=True),
            expiry=datetime.now(UTC) + timedelta(hours=1),
        )
        return f"{account_url()}/{container}?{sas}"

    def download(self, container: str, name: str) -> bytes:
        return bytes(self.service.get_container_client(container).download_blob(name).readall())

    def names(self, container: str, prefix: str) -> list[str]:
        client = self.service.get_container_client(container)
        if not client.exists():
            return []
        return [blob.name for blob in client.list_blobs(name_starts_with=prefix)]
