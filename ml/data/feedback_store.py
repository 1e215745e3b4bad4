"""Read the labelled feedback in an environment's feedback container (`storage.feedback_container`).

Locally the container is in Azurite (STREAMSCORE_BLOB_CONNECTION_STRING, else Azurite's development
account on `local.azurite_blob_port`); on Azure in the environment's storage account, read with Entra ID
(the reader needs Storage Blob Data Reader on the container: docs/identities.md). Every blob is a
feedback file (`ml/data/feedback.py`), read oldest first (creation time, then name), so a later file's
row replaces an earlier one's with the same `request_id`. Blobs are never moved or deleted: the
container keeps every label ever given, and a retrain that refuses a bad file loses nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from environments.data_schema import DataSchema
from environments.model import Environment
from environments.naming import resource_names
from environments.standins.well_known import azurite_connection_string
from ml.data import loader
from ml.data.errors import DataError, DataFileError, DataValidationError
from ml.data.feedback import FEEDBACK_SUFFIXES, training_rows

BLOB_CONNECTION_STRING_VAR = "STREAMSCORE_BLOB_CONNECTION_STRING"
"""Same variable as the export's (`export/targets.py`): the local loop's blob store."""


@dataclass(frozen=True)
class FeedbackFiles:
    """The feedback container's files as training rows, oldest first, and where they were read."""

    where: str
    names: list[str]
    frames: list[pd.DataFrame]
    note: str = ""

    @property
    def rows(self) -> int:
        return sum(len(frame) for frame in self.frames)


def container_client(
    env: Environment, environ: dict[str, str], credential: Any = None, transport: Any = None
) -> Any:
    """The environment's feedback container (see the module docstring); `transport` is azure-core's
    seam (the simulated control plane in tests)."""
    from azure.storage.blob import BlobServiceClient

    container = env.storage.feedback_container
    if env.local is not None:
        connection = environ.get(BLOB_CONNECTION_STRING_VAR) or azurite_connection_string(
            env.local.azurite_blob_port
        )
        return BlobServiceClient.from_connection_string(connection).get_container_client(container)
    if credential is None:
        from environments.azure_credential import azure_credential

        credential = azure_credential()
    account = resource_names(env).storage_account
    options = {} if transport is None else {"transport": transport}
    service = BlobServiceClient(f"https://{account}.blob.core.windows.net", credential=credential, **options)
    return service.get_container_client(container)


def read_feedback(container: Any, schema: DataSchema, missing_ok: bool = False) -> FeedbackFiles:
    """Every feedback file in `container` (an azure-storage-blob ContainerClient) as training rows.

    Refuses with every problem of every file (names the blob, row and column) before returning anything.
    A missing container is no feedback when `missing_ok` (locally nothing creates it until labels are
    written), an error otherwise (on Azure the shared infrastructure creates it)."""
    from azure.core.exceptions import ResourceNotFoundError

    where = f"{container.account_name}/{container.container_name}"
    try:
        blobs = sorted(container.list_blobs(), key=lambda blob: (blob.creation_time, blob.name))
    except ResourceNotFoundError as exc:
        if missing_ok:
            return FeedbackFiles(where, [], [], note=f"container {where} does not exist yet: no feedback")
        raise DataError(
            f"feedback container {where} does not exist: deploy the environment's infrastructure "
            f"(`--stage infra`) first"
        ) from exc
    problems: list[str] = []
    names: list[str] = []
    frames: list[pd.DataFrame] = []
    for blob in blobs:
        name = Path(f"{where}/{blob.name}")
        try:
            frame = _read_blob(name, partial(_download, container, blob.name))
            frames.append(training_rows(frame, schema, name))
            names.append(blob.name)
        except DataValidationError as exc:
            problems.extend(exc.problems)
        except DataFileError as exc:
            problems.append(str(exc))
    if problems:
        raise DataValidationError(Path(where), problems)
    return FeedbackFiles(where, names, frames)


def _download(container: Any, blob_name: str) -> bytes:
    return bytes(container.download_blob(blob_name).readall())


def _read_blob(name: Path, content: Callable[[], bytes]) -> pd.DataFrame:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in FEEDBACK_SUFFIXES:
        raise DataFileError(name, f"not a feedback file: use {', '.join(FEEDBACK_SUFFIXES)}")
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / f"feedback{suffix}"
        local.write_bytes(content())
        try:
            return loader.read_table(local)
        except DataFileError as exc:
            raise DataFileError(name, exc.reason.replace(str(local), str(name))) from None
