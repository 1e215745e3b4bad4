"""Versions of the Azure ML assets rendered from this repository (pure apart from reading files):
content hashes, so a version changes exactly when what it describes changes, and pins from the lock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path


def content_version(parts: Iterable[bytes]) -> str:
    """A short hash of an ordered list of byte strings."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:12]


def code_version(sources: Iterable[str], root: Path) -> str:
    """A content hash of the Python files at `sources` (files or folders, relative to `root`)."""
    files: list[Path] = []
    for source in sources:
        path = root / source
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return content_version(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() for f in files)


def pinned(packages: Iterable[str]) -> list[str]:
    """`name==version` for each package, as installed from the lock file."""
    return [f"{name}=={version(name)}" for name in packages]
