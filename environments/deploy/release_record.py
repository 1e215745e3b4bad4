"""Where the release manifest staging deployed is kept, found by commit: a git note (decision 0012).

The promote workflow records staging's `release.json` as a note on the release's commit under
`NOTES_REF` and pushes that ref; the release workflow, on a tag, fetches the ref and reads the note of
the tag's commit. Notes outlive workflow artifacts (which expire and belong to one run), are versioned
with the repository and need no Azure rights. Recording the same commit again replaces its note (a
re-run of staging is safe); a push that lost a race with another record is retried after a fetch.

In a workflow the checkout keeps no credentials: `git_env` hands git the workflow token through
`GIT_CONFIG_*` environment variables of the git process only (never an argument, never a file).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from environments.deploy.release import ReleaseError

NOTES_REF = "refs/notes/streamscore-staging-releases"
STAGED_BY = "staging"
PUSH_ATTEMPTS = 3
# Who writes the notes commit (the runner has no git identity).
NOTES_AUTHOR = (
    "-c",
    "user.name=streamscore-release",
    "-c",
    "user.email=streamscore-release@users.noreply.github.com",
)


def git_env() -> dict[str, str]:
    """The process environment for git; with `GH_TOKEN` (a workflow), an auth header for the server."""
    env = dict(os.environ)
    token, server = env.get("GH_TOKEN"), env.get("GITHUB_SERVER_URL")
    if token and server:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env |= {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"http.{server}/.extraheader",
            "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
        }
    return env


def git(
    root: Path, *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    process = subprocess.run(
        ["git", "-C", str(root), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=git_env(),
        check=False,
    )
    if check and process.returncode != 0:
        raise ReleaseError(
            f"git {' '.join(args)} in {root}: {process.stderr.strip() or process.stdout.strip()}"
        )
    return process


def fetch_records(root: Path, remote: str) -> bool:
    """Replace the local notes ref with the remote's; False when the remote has none yet."""
    listed = git(root, "ls-remote", remote, NOTES_REF).stdout.strip()
    if not listed:
        return False
    git(root, "fetch", "--quiet", remote, f"+{NOTES_REF}:{NOTES_REF}")
    return True


def recorded_release(root: Path, commit: str, remote: str) -> dict[str, Any] | None:
    """The manifest staging recorded for `commit`, or None if staging has not deployed it."""
    if not fetch_records(root, remote):
        return None
    shown = git(root, "notes", f"--ref={NOTES_REF}", "show", commit, check=False)
    if shown.returncode != 0:
        return None
    try:
        release = json.loads(shown.stdout)
    except json.JSONDecodeError as exc:
        release = exc
    if not isinstance(release, dict):
        raise ReleaseError(f"{NOTES_REF}: the note on {commit[:12]} is not a release manifest ({release})")
    return release


def record_release(root: Path, release: dict[str, Any], remote: str) -> str:
    """Record `release` (staging's manifest) as the note on its commit and push it; returns the commit."""
    commit = str(release["git_commit"])
    last = (release.get("deployed") or [{}])[-1].get("environment")
    if last != STAGED_BY:
        raise ReleaseError(
            f"release {release.get('release')}: only the manifest {STAGED_BY} deployed is recorded "
            f"(its last deployment is {last})"
        )
    git(root, "cat-file", "-e", f"{commit}^{{commit}}")
    text = json.dumps(release, indent=2, sort_keys=True) + "\n"
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        fetch_records(root, remote)
        git(
            root,
            *NOTES_AUTHOR,
            "notes",
            f"--ref={NOTES_REF}",
            "add",
            "--force",
            "--file=-",
            commit,
            stdin=text,
        )
        pushed = git(root, "push", "--quiet", remote, f"{NOTES_REF}:{NOTES_REF}", check=False)
        if pushed.returncode == 0:
            return commit
        if attempt == PUSH_ATTEMPTS:
            raise ReleaseError(
                f"pushing {NOTES_REF} to {remote} failed {attempt} times: {pushed.stderr.strip()}"
            )
    raise AssertionError("unreachable")
