"""The two files the serving side meets other steps at: the model manifest (read) and the endpoint
manifest (written; docs/contracts.md "Endpoint manifest")."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from environments.atomic_files import write_json_atomically
from ml.registry.manifest import manifest_path, read_manifest
from ml.serving.errors import ManifestError

ENDPOINT_MANIFEST = "endpoint.json"


@dataclass(frozen=True)
class ModelRef:
    """A registered model version: its registry URI and, locally, its MLflow folder on disk."""

    name: str
    version: str
    uri: str
    path: str | None = None


@dataclass(frozen=True)
class EndpointManifest:
    """What streaming deploy and the local loop need to call the endpoint."""

    environment: str
    scoring_uri: str
    swagger_uri: str
    deployment: str
    model_name: str
    model_version: str
    key_env: str
    healthy: bool
    key_file: str | None = None
    """Local only: where the generated key is kept when `key_env` is not set (never the key itself)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.key_file is None:
            del data["key_file"]
        return data


def read_model_manifest(state: Path) -> ModelRef:
    """The registered model to deploy, from the pipeline's manifest (`<state>/ml/model-manifest.json`)."""
    try:
        raw = read_manifest(state)
    except FileNotFoundError as exc:
        raise ManifestError(str(exc)) from exc
    try:
        path = raw.get("model_path")
        return ModelRef(
            name=str(raw["model_name"]),
            version=str(raw["version"]),
            uri=str(raw["model_uri"]),
            path=str(path) if path else None,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ManifestError(f"{manifest_path(state)}: model manifest lacks {exc}") from exc


def write_endpoint_manifest(path: Path, manifest: EndpointManifest) -> Path:
    """Replace the endpoint manifest atomically."""
    return write_json_atomically(path, manifest.to_json(), indent=2)


def read_endpoint_manifest(path: Path) -> EndpointManifest:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return EndpointManifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise ManifestError(f"{path}: cannot read the endpoint manifest: {exc}") from exc
