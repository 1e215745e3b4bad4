"""The production model in the local MLflow registry, as a manifest record; stage aliases for promotion."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from ml.registry import tracking
from ml.registry.champion import find_champion
from ml.registry.errors import RegistryError
from ml.registry.manifest import metrics_from_tags


def _local_path(uri: str) -> Path | None:
    """The folder behind a `file://` artifact URI (the local store keeps artifacts in place)."""
    parsed = urlparse(uri)
    return Path(url2pathname(parsed.path)) if parsed.scheme == "file" else None


def production_record(state: Path, environment: str, model_name: str, alias: str) -> dict[str, Any] | None:
    """The manifest record of the version tagged `stage=<alias>`, or None if nothing was registered yet;
    raises `ChampionLookupError` when the registry cannot tell."""
    store = tracking.client(state)
    number = find_champion(store, model_name, alias).version
    if number is None:
        return None
    version = store.get_model_version(model_name, number)
    if version.source is None or version.run_id is None:  # a version registered without a run
        raise RegistryError(f"model {model_name} version {number} has no source run to load it from")
    model_path = _local_path(version.source) or Path(store.download_artifacts(version.run_id, "model"))
    return {
        "environment": environment,
        "model_name": model_name,
        "version": str(version.version),
        "alias": alias,
        "model_uri": f"models:/{model_name}/{version.version}",
        "model_path": str(model_path),
        "data_fingerprint": version.tags.get("data_fingerprint"),
        "metrics": metrics_from_tags(version.tags),
        "source": version.source,
        "run_id": version.run_id,
    }


def set_stage_alias(state: Path, model_name: str, version: str, stage: str) -> None:
    """Point the stage's alias (e.g. `staging`) at an already registered version; nothing is retrained."""
    tracking.client(state).set_registered_model_alias(model_name, stage, version)
