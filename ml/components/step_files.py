"""The files components hand to each other inside their input and output folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

TRAIN_FILE = "train.parquet"
HOLDOUT_FILE = "holdout.parquet"
DATA_INFO_FILE = "data.json"
EVALUATION_FILE = "evaluation.json"
REGISTRATION_FILE = "registration.json"


def write_json(folder: Path, name: str, record: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FileNotFoundError(f"{path}: expected the previous step's {name}: {exc}") from exc


def read_frame(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: expected the previous step's {name}")
    return pd.read_parquet(path)
