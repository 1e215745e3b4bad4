"""Validate everything rendered for an environment that this domain knows how to check: ARM templates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from environments.arm import validate_directory
from environments.errors import EnvironmentsError
from environments.render import REPO_ROOT, build_dir


def validate_environment(
    env_name: str, root: Path = REPO_ROOT, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Check every rendered ARM template of `env_name`; raises ArmValidationError listing all problems.
    `progress` is told each template as its check starts."""
    folder = build_dir(env_name, root)
    if not folder.is_dir():
        raise EnvironmentsError(
            f"{folder}: nothing rendered yet; run `python -m environments render {env_name}`"
        )
    return validate_directory(folder, progress)
