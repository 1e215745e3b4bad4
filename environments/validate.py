"""Validate everything rendered for an environment that this domain knows how to check: every rendered
JSON and YAML file has each key once (a merge that leaves a key twice would otherwise be read as its last
value), and ARM templates against the official schemas and the project's rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml

from environments.arm import validate_directory
from environments.errors import EnvironmentsError, RenderedFileError
from environments.render import REPO_ROOT, build_dir
from environments.unique_keys import DuplicateJsonKeyError, DuplicateYamlKeyError, load_yaml, loads_json

# Written by deploys into build/<env>/, not rendered (deployed state).
NOT_RENDERED = "state"


def duplicate_key_problems(folder: Path) -> list[str]:
    """One line per rendered JSON or YAML file under `folder` with a key given twice (file, key, line).
    Files that are not one JSON document (Stream Analytics' line-delimited test data) are left to
    their own validators."""
    problems = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if not path.is_file() or relative[0] == NOT_RENDERED:
            continue
        try:
            if path.suffix == ".json":
                loads_json(path.read_text(encoding="utf-8"))
            elif path.suffix in (".yml", ".yaml"):
                load_yaml(path.read_text(encoding="utf-8"))
        except (DuplicateJsonKeyError, DuplicateYamlKeyError) as exc:
            problems.append(f"{path}: {exc}")
        except (json.JSONDecodeError, yaml.YAMLError):
            continue
    return problems


def validate_environment(
    env_name: str, root: Path = REPO_ROOT, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Check every rendered file of `env_name` for duplicate keys, then every rendered ARM template;
    raises RenderedFileError or ArmValidationError listing all problems. `progress` is told each template
    as its check starts."""
    folder = build_dir(env_name, root)
    if not folder.is_dir():
        raise EnvironmentsError(
            f"{folder}: nothing rendered yet; run `python -m environments render {env_name}`"
        )
    problems = duplicate_key_problems(folder)
    if problems:
        raise RenderedFileError(problems)
    return validate_directory(folder, progress)
