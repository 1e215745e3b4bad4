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
from ml.data import generator, loader, replay
from ml.data.errors import DataFileError

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAINING_FILE = "training.parquet"
TRAINING_INFO = "training.json"
BASELINE_FILE = "baseline.parquet"
HELD_OUT_FILE = "held-out.parquet"


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


def configured_file(env: Environment) -> Path | None:
    """The environment's own training file (`data.training_file`, resolved by the environment loader)."""
    return env.data.training_path()


def prepare(
    env: Environment, state: Path, source: Path | None = None, rows: int | None = None
) -> TrainingData:
    """The training data, written to the state folder: a given file as it is; else the configured
    `data.training_file`, for a local environment without its held-out part (written beside it as
    `HELD_OUT_FILE`, for the loop to replay: `ml.data.replay`), for Azure whole; else generated rows
    (seeded by the environment)."""
    schema = env.data_schema()
    configured = configured_file(env)
    if source is not None or (configured is not None and env.local is None):
        # Azure targets train on the whole file: only the local loop replays a held-out part.
        source = source or configured
        assert source is not None
        frame = loader.load(source, schema)
        origin = f"file:{source.name}"
    elif configured is not None:
        frame, held_out = replay.split(
            loader.load(configured, schema), schema, env.data.replay_fraction, env.data.seed
        )
        data_dir(state).mkdir(parents=True, exist_ok=True)
        held_out.to_parquet(data_dir(state) / HELD_OUT_FILE, index=False)
        origin = f"file:{configured.name},held_out={len(held_out)}"
    else:
        count = rows or env.data.training_rows
        frame = generator.generate(schema, count, env.data.seed)
        origin = f"generated:rows={count},seed={env.data.seed}"
    return write(frame, data_dir(state), origin, schema.name)


def held_out(env: Environment, state: Path) -> pd.DataFrame:
    """The rows of `data.training_file` that training did not use (written by `prepare`)."""
    path = data_dir(state) / HELD_OUT_FILE
    if env.data.training_file is None:
        raise DataFileError(path, "no held-out rows: the environment sets no data.training_file")
    if not path.is_file():
        raise DataFileError(path, f"no held-out rows yet: run `python -m ml pipeline {env.name}` first")
    return loader.load(path, env.data_schema())
