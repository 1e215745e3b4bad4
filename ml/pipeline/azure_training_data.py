"""Which version of the workspace's training data asset an Azure training run reads (decision 0018).

- No version yet, or `--data FILE` given: the seed (the generated data or the configured file,
  `ml.pipeline.training.training_data`), the next version unless a version has its content.
- Otherwise the newest version, with the labelled feedback of the environment's feedback container
  merged in (`ml/data/feedback.py`): a new version only when the feedback brings a row that is not in
  it as it is, so a retrain learns from new labels and a rerun registers nothing.

The newest version is downloaded only when there is feedback to merge. The I/O (listing versions,
downloading one, reading the container) is passed in; `workspace_io` gives azure-ai-ml's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from environments.data_schema import DataSchema
from ml.data import feedback, store
from ml.data.errors import DataError
from ml.data.feedback_store import FeedbackFiles
from ml.data.versions import DataVersion, next_version

FEEDBACK_FOLDER = "azure-feedback"
"""Under the state's data folder: the merged file a new version is uploaded from."""


@dataclass(frozen=True)
class AzureData:
    """The data asset version to train on and what the feedback added to it."""

    version: int
    fingerprint: str
    upload: store.TrainingData | None
    """The file to register as `version`; None when the workspace has that version already."""
    feedback_rows: int
    new_feedback_rows: int
    base: str

    def record(self) -> dict[str, Any]:
        """What `python -m ml pipeline <env>` prints about its data."""
        return {
            "version": self.version,
            "fingerprint": self.fingerprint,
            "new_version": self.upload is not None,
            "base": self.base,
            "feedback_rows": self.feedback_rows,
            "new_feedback_rows": self.new_feedback_rows,
        }


def azure_data(
    existing: list[DataVersion],
    seed: Callable[[], store.TrainingData] | None,
    download: Callable[[DataVersion, Path], Path],
    read_feedback: Callable[[], FeedbackFiles],
    state: Path,
    schema: DataSchema,
) -> AzureData:
    """See the module docstring; `seed` is None when versions exist and no file was given."""
    if seed is None and not existing:
        raise DataError("no data asset version yet and no seed data to register as version 1")
    files = read_feedback()
    with tempfile.TemporaryDirectory() as folder:
        if seed is not None:
            seeded = seed()
            number, new = next_version(existing, seeded.fingerprint)
            base_label, base_path = f"seed ({seeded.source})", seeded.path
            unchanged = AzureData(number, seeded.fingerprint, seeded if new else None, 0, 0, base_label)
        else:
            latest = existing[-1]
            base_label, base_path = f"version {latest.version}", None
            unchanged = AzureData(latest.version, latest.fingerprint, None, 0, 0, base_label)
        if files.rows == 0:
            return unchanged
        if base_path is None:
            base_path = download(existing[-1], Path(folder))
        merged = feedback.merge(pd.read_parquet(base_path), files.frames, schema)
        if merged.new_rows == 0:
            return AzureData(
                unchanged.version,
                unchanged.fingerprint,
                unchanged.upload,
                merged.feedback_rows,
                0,
                base_label,
            )
        source = (
            f"{base_label} + feedback:{files.where} "
            f"({merged.new_rows} new of {merged.feedback_rows} feedback rows)"
        )
        written = store.write(merged.frame, store.data_dir(state) / FEEDBACK_FOLDER, source, schema.name)
    number, new = next_version(existing, written.fingerprint)
    return AzureData(
        number,
        written.fingerprint,
        written if new else None,
        merged.feedback_rows,
        merged.new_rows,
        base_label,
    )


def download_version(client: Any, name: str) -> Callable[[DataVersion, Path], Path]:
    """Download a version of the workspace's data asset `name` (its one Parquet file) into a folder.

    azure-ai-ml has no public download for a data asset; `download_artifact_from_aml_uri` is what its
    own `jobs.download` uses for an `azureml://` datastore path, with the workspace's datastores."""

    def download(version: DataVersion, folder: Path) -> Path:
        from azure.ai.ml._artifacts._artifact_utilities import download_artifact_from_aml_uri

        asset = client.data.get(name, version=str(version.version))
        download_artifact_from_aml_uri(str(asset.path), str(folder), client.datastores)
        found = sorted(folder.rglob("*.parquet"))
        if len(found) != 1:
            raise DataError(
                f"data asset {name}:{version.version} ({asset.path}): expected one Parquet file, "
                f"found {len(found)}"
            )
        return found[0]

    return download
