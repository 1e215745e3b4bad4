"""`python -m environments release record|promote|notes`: the GitHub release path to prod (release.yml).

record FILE          promote.yml, after staging deployed and smoke-tested: keep staging's manifest as the
                     note of its commit (`release_record.py`)
promote TAG --out F  release.yml: the manifest staging recorded for the tag's commit, checked
                     (`release_tags.promotable`), written to F for `deploy prod --release F`; refused
                     with one line when staging has not deployed that commit
notes TAG --release F --out N [--attach]
                     the release notes (`release_notes.py`, the manifest F included) against the
                     previous release tag; with --attach, set them as the GitHub release's notes (gh
                     CLI; notes stay editable on an immutable release, new assets do not)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from environments.deploy.release import ReleaseError, read_release, write_release
from environments.deploy.release_notes import release_notes
from environments.deploy.release_record import NOTES_REF, git, record_release, recorded_release
from environments.deploy.release_tags import PROD, earlier_tags, promotable, tag_version
from environments.loader import load_environment

# The Stream Analytics project's sources (query, functions, inputs/outputs): their diff between two
# releases is the notes' "query changes". streaming/README.md owns the layout.
QUERY_SOURCES = "streaming/templates/asa"


def tag_commit(root: Path, tag: str) -> str:
    tag_version(tag)
    found = git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}", check=False)
    if found.returncode != 0:
        raise ReleaseError(
            f"release {tag}: no such tag in {root} (a workflow checks out with fetch-depth: 0)"
        )
    return found.stdout.strip()


def _github_output(**values: str) -> None:
    """Step outputs for the workflow (`$GITHUB_OUTPUT`), when running in one."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.writelines(f"{key}={value}\n" for key, value in values.items())


def record(root: Path, manifest: Path, remote: str) -> int:
    commit = record_release(root, read_release(manifest), remote)
    print(f"staging's release manifest recorded for commit {commit} ({remote} {NOTES_REF})")
    return 0


def _github_summary(line: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def promote(root: Path, tag: str, out: Path, remote: str) -> int:
    try:
        commit = tag_commit(root, tag)
        release = promotable(tag, commit, recorded_release(root, commit, remote))
    except ReleaseError as exc:
        if os.environ.get("GITHUB_ACTIONS") == "true":
            print(f"::error title=Release refused::{exc}")  # the run's annotation: the one-line reason
        _github_summary(f"**Refused**: {exc}")
        raise
    write_release(out, release)
    _github_output(commit=commit, release=str(release["release"]))
    _github_summary(
        f"Release {tag} (commit `{commit}`): prod deploys `{release['release']}`, "
        f"model {release['model']['name']} version {release['model']['version']}"
    )
    print(
        f"release {tag}: prod deploys {release['release']} (commit {commit}, model version {release['model']['version']})"
    )
    return 0


def _tags(root: Path) -> list[str]:
    return git(root, "tag", "--list", "v*").stdout.split()


def notes(
    root: Path,
    tag: str,
    manifest: Path,
    out: Path,
    remote: str,
    attach: bool,
    environments: Path | None = None,
) -> int:
    release = read_release(manifest)
    # The last release is the highest earlier tag staging recorded a manifest for: a tag without one was
    # refused by release.yml and never reached prod.
    before, previous = None, None
    for candidate in earlier_tags(tag, _tags(root)):
        previous = recorded_release(root, tag_commit(root, candidate), remote)
        if previous is not None:
            before = candidate
            break
    diff = ""
    if previous is not None:
        diff = git(
            root, "diff", str(previous["git_commit"]), str(release["git_commit"]), "--", QUERY_SOURCES
        ).stdout
    primary = load_environment(PROD, environments or root / "environments").model.primary_metric
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(release_notes(tag, release, before, previous, diff, primary), encoding="utf-8")
    print(f"release {tag}: notes written to {out} (previous release: {before or 'none'})")
    if attach:
        _gh(root, "release", "edit", tag, "--notes-file", str(out))
        print(f"release {tag}: notes, with the manifest, set on the GitHub release")
    return 0


def _gh(root: Path, *args: str) -> None:
    process = subprocess.run(["gh", *args], cwd=root, capture_output=True, text=True, check=False)
    if process.returncode != 0:
        raise ReleaseError(f"gh {' '.join(args)}: {process.stderr.strip() or process.stdout.strip()}")
