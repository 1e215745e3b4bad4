"""Versions of the training data: the generator (or the user's file) seeds version 1; a retrain registers
version N+1 from version N and the labelled feedback it trains on, so it can learn something new.

Locally the versions live in `<state>/data/versions/<N>/` (the training file and its `training.json`),
listed in `<state>/data/versions.json`; training reads the newest. On Azure the same numbers are the
versions of the workspace's data asset. The same content is never registered twice: a file whose
fingerprint a version already has is that version.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from environments.data_schema import DataSchema
from ml.data import feedback, loader, store
from ml.data.errors import DataError

VERSIONS_FILE = "versions.json"
VERSIONS_FOLDER = "versions"


@dataclass(frozen=True)
class DataVersion:
    """One registered version of the training data."""

    version: int
    fingerprint: str
    rows: int
    source: str


def next_version(existing: list[DataVersion], fingerprint: str) -> tuple[int, bool]:
    """(version, is it new) for content with `fingerprint`: the version that has it, else the next one."""
    for known in existing:
        if known.fingerprint == fingerprint:
            return known.version, False
    return max((known.version for known in existing), default=0) + 1, True


def _index(state: Path) -> Path:
    return store.data_dir(state) / VERSIONS_FILE


def registered(state: Path) -> list[DataVersion]:
    """The registered versions, oldest first (none before the first `register`)."""
    path = _index(state)
    if not path.is_file():
        return []
    try:
        return [DataVersion(**record) for record in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, TypeError) as exc:
        raise DataError(f"{path}: not a list of data versions ({exc})") from exc


def version_dir(state: Path, version: int) -> Path:
    return store.data_dir(state) / VERSIONS_FOLDER / str(version)


def register(state: Path, training: store.TrainingData) -> DataVersion:
    """Register the training file as a version (the one that has its content, or the next)."""
    existing = registered(state)
    number, new = next_version(existing, training.fingerprint)
    if not new:
        return next(known for known in existing if known.version == number)
    folder = version_dir(state, number)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(training.path, folder / store.TRAINING_FILE)
    shutil.copyfile(training.path.parent / store.TRAINING_INFO, folder / store.TRAINING_INFO)
    store.read(folder)  # the copy is what was fingerprinted
    version = DataVersion(number, training.fingerprint, training.rows, training.source)
    records = [known.__dict__ for known in [*existing, version]]
    _index(state).write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return version


def latest(state: Path) -> tuple[DataVersion, store.TrainingData]:
    """The newest version and its training file (what training reads); data written before versions
    were kept becomes version 1."""
    existing = registered(state)
    if not existing and (store.data_dir(state) / store.TRAINING_INFO).is_file():
        existing = [register(state, store.read(store.data_dir(state)))]
    if not existing:
        raise DataError(f"{_index(state)}: no training data version yet; run `python -m ml data <env>`")
    newest = existing[-1]
    return newest, store.read(version_dir(state, newest.version))


@dataclass(frozen=True)
class FeedbackRegistration:
    """What merging feedback did: the version training reads now, whether it is new, and the rows."""

    version: DataVersion
    new: bool
    feedback_rows: int
    new_rows: int


def register_feedback_rows(
    state: Path, schema: DataSchema, frames: list[pd.DataFrame], origin: str
) -> FeedbackRegistration:
    """Version N+1: version N's rows with the feedback rows (`ml/data/feedback.py` layout, oldest first),
    registered only when they bring something new; else version N again."""
    previous, training = latest(state)
    merged = feedback.merge(pd.read_parquet(training.path), frames, schema)
    if merged.new_rows == 0:
        return FeedbackRegistration(previous, False, merged.feedback_rows, 0)
    source = (
        f"version {previous.version} + {origin} "
        f"({merged.new_rows} new of {merged.feedback_rows} feedback rows)"
    )
    version = register(state, store.write(merged.frame, store.data_dir(state), source, schema.name))
    return FeedbackRegistration(
        version, version.version != previous.version, merged.feedback_rows, merged.new_rows
    )


def register_feedback(state: Path, schema: DataSchema, feedback_file: Path) -> FeedbackRegistration:
    """`register_feedback_rows` for one feedback file (checked against the feedback contract)."""
    rows = feedback.training_rows(loader.read_table(feedback_file), schema, feedback_file)
    return register_feedback_rows(state, schema, [rows], f"feedback:{feedback_file.name}")
