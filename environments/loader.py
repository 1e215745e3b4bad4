"""Read an environment file, merge it over the file it extends, and validate it into the typed model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from environments.errors import ConfigError
from environments.model import REPO_ROOT, Environment
from environments.secret_values import secret_looking_values
from environments.unique_keys import load_yaml

ENVIRONMENTS_DIR = Path(__file__).resolve().parent
_EXTENDS = "extends"
# Keys holding a file path: a relative one is relative to the folder of the environment file that set it.
PATH_KEYS = (("data", "schema_file"), ("data", "training_file"), ("model", "training_component"))
# Mappings that a later file replaces as a whole instead of merging key by key (a drift scenario of
# another kind shares no keys with the one it replaces).
REPLACED_WHOLE = (("loop", "drift_scenario"),)
# A YAML file merged over every environment last: for tests and one-off runs (ports, state folder, sizes)
# that must reach every process of the loop without editing the committed files.
OVERRIDES_VARIABLE = "STREAMSCORE_OVERRIDES"


def environment_names(directory: Path = ENVIRONMENTS_DIR) -> list[str]:
    """Names of the deployable environments (files that are not only a base for others)."""
    return sorted(p.stem for p in directory.glob("*.yml") if p.stem != "base")


def load_environment(name: str, directory: Path = ENVIRONMENTS_DIR) -> Environment:
    """Load `<directory>/<name>.yml`; every problem becomes one line naming file, key path and reason."""
    path = directory / f"{name}.yml"
    if not path.is_file():
        known = ", ".join(environment_names(directory)) or "none"
        raise ConfigError(str(path), [f"{path}: no such environment file (known: {known})"])
    data, origins = _read_merged(path, seen=())
    overrides = os.environ.get(OVERRIDES_VARIABLE)
    if overrides:
        data, origins = _apply_overrides(Path(overrides), data, origins)
    data = resolve_paths(data, origins, path)
    if data.get("name") != name:
        raise ConfigError(
            str(path), [f"{path}: name: must equal the file name '{name}', got {data.get('name')!r}"]
        )
    secrets = [
        f"{_origin(key, origins) or path}: {'.'.join(key)}: looks like {kind}; secrets never live in "
        "environment files: reference them ('env:VARIABLE_NAME' or 'keyvault:secret-name')"
        for key, kind in secret_looking_values(data)
    ]
    if secrets:
        raise ConfigError(str(path), secrets)
    try:
        return Environment.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(str(path), _problems(exc, origins, path)) from exc


def resolve_paths(
    data: dict[str, Any], origins: dict[tuple[str, ...], Path], path: Path, root: Path = REPO_ROOT
) -> dict[str, Any]:
    """`PATH_KEYS` resolved against the folder of the file that set each (`base.yml`, the environment
    file or the overrides file): repository-relative when the file lies in the repository (so rendered
    output stays the same on every machine), absolute otherwise. An absolute path is kept as it is."""
    resolved = dict(data)
    for section, key in PATH_KEYS:
        values = resolved.get(section)
        if not isinstance(values, dict) or not isinstance(values.get(key), str):
            continue
        given = Path(values[key]).expanduser()
        if not given.is_absolute():
            given = (_origin((section, key), origins) or path).resolve().parent / given
        given = Path(os.path.normpath(given))
        text = given.relative_to(root).as_posix() if given.is_relative_to(root) else given.as_posix()
        resolved[section] = {**values, key: text}
    return resolved


def _read_merged(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], dict[tuple[str, ...], Path]]:
    if path in seen:
        raise ConfigError(str(path), [f"{path}: extends: cycle through {', '.join(map(str, seen))}"])
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), [f"{path}: cannot read: {exc}"]) from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), [f"{path}: (root): must be a mapping, got {type(raw).__name__}"])
    parent_name = raw.pop(_EXTENDS, None)
    if parent_name is None:
        return raw, {key: path for key in _leaf_paths(raw)}
    parent_path = path.parent / str(parent_name)
    if not parent_path.is_file():
        raise ConfigError(str(path), [f"{path}: extends: no such file '{parent_name}'"])
    base, origins = _read_merged(parent_path, (*seen, path))
    origins.update({key: path for key in _leaf_paths(raw)})
    return _deep_merge(base, raw), origins


def _apply_overrides(
    path: Path, data: dict[str, Any], origins: dict[tuple[str, ...], Path]
) -> tuple[dict[str, Any], dict[tuple[str, ...], Path]]:
    if not path.is_file():
        raise ConfigError(str(path), [f"{path}: ${OVERRIDES_VARIABLE} names a file that does not exist"])
    extra, extra_origins = _read_merged(path, seen=())
    return _deep_merge(data, extra), {**origins, **extra_origins}


def _deep_merge(
    base: dict[str, Any], override: dict[str, Any], prefix: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Mappings merge key by key (except `REPLACED_WHOLE`); any other value (lists included) replaces
    the base value."""
    merged = dict(base)
    for key, value in override.items():
        here = (*prefix, str(key))
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and here not in REPLACED_WHOLE:
            merged[key] = _deep_merge(merged[key], value, here)
        else:
            merged[key] = value
    return merged


def _leaf_paths(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for key, value in data.items():
        here = (*prefix, str(key))
        paths.append(here)
        if isinstance(value, dict):
            paths.extend(_leaf_paths(value, here))
    return paths


def _problems(exc: ValidationError, origins: dict[tuple[str, ...], Path], path: Path) -> list[str]:
    lines = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        key = ".".join(loc) or "(root)"
        # A missing key belongs to the file being loaded; anything else to the file that set it.
        origin = path if error["type"] == "missing" else (_origin(loc, origins) or path)
        reason = error["msg"]
        if error["type"] == "missing":
            reason = "required key is missing"
        elif error["type"] == "extra_forbidden":
            reason = "unknown key"
        elif loc and error["type"] != "value_error" and not isinstance(error.get("input"), dict):
            reason = f"{reason} (got {_short(error['input'])})"
        lines.append(f"{origin}: {key}: {reason}")
    return lines


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _origin(loc: tuple[str, ...], origins: dict[tuple[str, ...], Path]) -> Path | None:
    for end in range(len(loc), 0, -1):
        if loc[:end] in origins:
            return origins[loc[:end]]
    return None
