"""The model manifest: which model version an environment serves, and what it was trained on.

`<state>/ml/model-manifest.json` (contract in docs/contracts.md, "Model manifest and baseline"):
{environment, model_name, version, alias, model_uri, model_path, data_fingerprint, metrics,
 baseline_path, registered_by_run, source}. Written after every pipeline run or promotion from the
registry's production version, so a run whose model was not registered leaves it naming the champion.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from environments.atomic_files import write_json_atomically

MANIFEST_FILE = "model-manifest.json"
MANIFEST_KEYS = (
    "environment",
    "model_name",
    "version",
    "alias",
    "model_uri",
    "model_path",
    "data_fingerprint",
    "metrics",
    "baseline_path",
    "source",
)


def manifest_path(state: Path) -> Path:
    return state / "ml" / MANIFEST_FILE


def write_manifest(state: Path, record: dict[str, Any]) -> Path:
    """Write the manifest atomically (a reader never sees half a file)."""
    missing = [key for key in MANIFEST_KEYS if key not in record]
    if missing:
        raise ValueError(f"model manifest lacks {', '.join(missing)}")
    path = manifest_path(state)
    return write_json_atomically(path, record, indent=2, sort_keys=True)


def read_manifest(state: Path) -> dict[str, Any]:
    path = manifest_path(state)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FileNotFoundError(
            f"{path}: no model manifest ({exc}); run `python -m ml pipeline <env>`"
        ) from exc


def metrics_from_tags(tags: dict[str, str]) -> dict[str, float]:
    """Holdout metrics recorded as `holdout_<metric>` tags on a model version."""
    return {
        key.removeprefix("holdout_"): float(value)
        for key, value in tags.items()
        if key.startswith("holdout_")
    }
