"""Which release manifest a GitHub release tag promotes to prod (pure: names and manifests in, answers out).

A release tag is `vX.Y.Z` on a commit that staging has deployed and smoke-tested: the manifest staging
recorded for that commit (`release_record.py`) is what prod deploys, exactly. Anything else is refused
with one line saying what to do.
"""

from __future__ import annotations

import re
from typing import Any

from environments.deploy.release import ReleaseError, check_promoted

RELEASE_TAG = re.compile(r"v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
PROD = "prod"


def tag_version(tag: str) -> tuple[int, int, int]:
    """(X, Y, Z) of `vX.Y.Z`; any other tag is refused."""
    match = RELEASE_TAG.fullmatch(tag)
    if match is None:
        raise ReleaseError(f"tag {tag!r} is not a release tag vX.Y.Z (e.g. v1.4.0)")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def earlier_tags(tag: str, tags: list[str]) -> list[str]:
    """The release tags below `tag`, highest first (other tags ignored)."""
    current = tag_version(tag)
    earlier = [t for t in tags if RELEASE_TAG.fullmatch(t) and tag_version(t) < current]
    return sorted(earlier, key=tag_version, reverse=True)


def previous_tag(tag: str, tags: list[str]) -> str | None:
    """The highest release tag below `tag`, or None for the first release."""
    return next(iter(earlier_tags(tag, tags)), None)


def promotable(tag: str, commit: str, staged: dict[str, Any] | None) -> dict[str, Any]:
    """The staging manifest `tag` (on `commit`) promotes to prod; refused with one line otherwise."""
    tag_version(tag)
    short = commit[:12]
    if staged is None:
        raise ReleaseError(
            f"release {tag}: staging has not deployed commit {short} (no staging release manifest is "
            "recorded for it); tag a commit the promote workflow deployed to staging"
        )
    if staged.get("git_commit") != commit:
        raise ReleaseError(
            f"release {tag}: the manifest recorded for commit {short} is for commit "
            f"{str(staged.get('git_commit'))[:12]}"
        )
    try:
        check_promoted(PROD, staged)
    except ReleaseError as exc:
        raise ReleaseError(f"release {tag} (commit {short}): {exc}") from exc
    return staged
