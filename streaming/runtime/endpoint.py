"""The scoring endpoint the function calls go to: a flag, the ML deploy's endpoint manifest, or the project.

Manifest (docs/contracts.md): `{"scoring_uri", "key_env", "healthy", ...}`; local at
`<local.state_dir>/ml/endpoint.json`, Azure at `build/<env>/ml/endpoint.json`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from environments.model import Environment
from streaming.runtime.errors import SettingsError


@dataclass(frozen=True)
class Endpoint:
    uri: str | None
    """None: use the endpoint written in the project's function file."""
    api_key: str | None = field(default=None, repr=False)


def default_manifest(env: Environment, repo_root: Path) -> Path:
    if env.local is not None:
        return (repo_root / env.local.state_dir / "ml" / "endpoint.json").resolve()
    return repo_root / "build" / env.name / "ml" / "endpoint.json"


def resolve_endpoint(uri: str | None, key_env: str | None, manifest: Path | None) -> Endpoint:
    """A flag wins; else the manifest if it exists (refused when not healthy); else the project's."""
    if uri:
        return Endpoint(uri, _key(key_env))
    if manifest is None or not manifest.exists():
        return Endpoint(None, _key(key_env))
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
        scoring_uri = document["scoring_uri"]
    except (OSError, ValueError, KeyError) as exc:
        raise SettingsError(f"{manifest}: not an endpoint manifest (needs scoring_uri): {exc}") from exc
    if document.get("healthy") is False:
        raise SettingsError(f"{manifest}: the endpoint {scoring_uri} is marked unhealthy; deploy ML first")
    return Endpoint(scoring_uri, _key(key_env or document.get("key_env")))


def _key(variable: str | None) -> str | None:
    if not variable:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise SettingsError(f"endpoint key: environment variable {variable} is not set")
    return value
