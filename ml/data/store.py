"""Where an environment's training data lives, with the content fingerprint that names its version.

Locally: `<state_dir>/data/training.parquet` and `training.json` ({fingerprint, rows, source, schema}).
Registered as a numbered version (`ml/data/versions.py`), the data asset's version on Azure.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from environments.model import Environment
from ml.data import generator, loader
from ml.data.errors import DataFileError

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAINING_FILE = "training.parquet"
TRAINING_INFO = "training.json"
BASELINE_FILE = "baseline.parquet"


def state_dir(env: Environment, root: Path = REPO_ROOT) -> Path:
    """The environment's state folder: `local.state_dir` locally, `build/<env>/state` for Azure targets."""
    if env.local is not None:
        return root / env.local.state_dir
    return root / "build" / env.name / "state"


def data_dir(state: Path) -> Path:
    return state / "data"


def fingerprint(path: Path) -> str:
    """sha256 of the file's bytes, as `sha256:<hex>`."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def asset_version(fingerprint_text: str) -> str:
    """The data asset version for a fingerprint: its first 12 hex digits."""
    return fingerprint_text.split(":", 1)[1][:12]


@dataclass(frozen=True)
class TrainingData:
    """A training data file and what identifies it."""

    path: Path
    fingerprint: str
    rows: int
    source: str
    schema: str


def write(frame: pd.DataFrame, folder: Path, source: str, schema_name: str) -> TrainingData:
    """Write the frame as the training file with its info; the fingerprint covers the written bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TRAINING_FILE
    frame.to_parquet(path, index=False)
    info = TrainingData(path, fingerprint(path), len(frame), source, schema_name)
    record = {**asdict(info), "path": path.name}
    (folder / TRAINING_INFO).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return info


def read(folder: Path) -> TrainingData:
    """The training data recorded in `folder`; fails if the file changed since it was written."""
    info_path = folder / TRAINING_INFO
    try:
        record = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataFileError(
            info_path, f"no training data recorded here ({exc}); run `python -m ml data`"
        ) from exc
    path = folder / record["path"]
    actual = fingerprint(path)
    if actual != record["fingerprint"]:
        raise DataFileError(
            path, f"content changed: fingerprint {actual} != recorded {record['fingerprint']}"
        )
    return TrainingData(path, actual, record["rows"], record["source"], record["schema"])


def configured_file(env: Environment, root: Path = REPO_ROOT) -> Path | None:
    """The environment's own training file (`data.training_file`, relative to the repository root)."""
    return root / env.data.training_file if env.data.training_file else None


def prepare(
    env: Environment, state: Path, source: Path | None = None, rows: int | None = None
) -> TrainingData:
    """Generated rows (seeded by the environment) or a user's validated file, written as the training data."""
    schema = env.data_schema()
    source = source or configured_file(env)
    if source is not None:
        frame = loader.load(source, schema)
        origin = f"file:{source.name}"
    else:
        count = rows or env.data.training_rows
        frame = generator.generate(schema, count, env.data.seed)
        origin = f"generated:rows={count},seed={env.data.seed}"
    return write(frame, data_dir(state), origin, schema.name)
