"""Staging's release manifest is kept as a git note on its commit and found again by a tag on that commit,
through a real git remote (a bare repository): re-recording is safe, racing records both land, and a tag
on a commit staging has not deployed is refused in one line."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from environments.deploy import release_command
from environments.deploy.release import ReleaseError, new_release, read_release, with_deployment
from environments.deploy.release_record import NOTES_REF, record_release, recorded_release

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parent / "data" / "release-staging-sample.json"
IDENTITY = ("-c", "user.name=test", "-c", "user.email=test@example.invalid")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *IDENTITY, *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _commit(repo: Path, name: str, text: str) -> str:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", name)
    return _git(repo, "rev-parse", "HEAD")


def _staged(commit: str, model_version: str = "7") -> dict[str, Any]:
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    model = {**sample["model"], "version": model_version}
    return with_deployment(with_deployment(new_release(sample, model, commit), "dev"), "staging")


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A bare `origin`, a clone with two pushed commits (the first is the remote's only history)."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    _git(work, "remote", "add", "origin", str(origin))
    commits = [
        _commit(work, "streaming/templates/asa/scoring.asaql.j2", "SELECT * FROM input WHERE amount > 0\n"),
        _commit(work, "streaming/templates/asa/scoring.asaql.j2", "SELECT * FROM input WHERE amount >= 0\n"),
    ]
    _git(work, "push", "-q", "origin", "main")
    return origin, work, commits


def _clone(origin: Path, into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(into)], check=True)
    return into


def test_a_recorded_manifest_is_found_by_commit_from_another_clone(repos, tmp_path: Path) -> None:
    origin, work, commits = repos
    staged = _staged(commits[1])
    assert recorded_release(work, commits[1], "origin") is None, "no record before staging deployed"
    assert record_release(work, staged, "origin") == commits[1]
    other = _clone(origin, tmp_path / "other")
    assert recorded_release(other, commits[1], "origin") == staged
    assert recorded_release(other, commits[0], "origin") is None


def test_recording_again_replaces_the_note_and_a_record_that_lost_a_race_is_retried(
    repos, tmp_path: Path
) -> None:
    origin, work, commits = repos
    record_release(work, _staged(commits[1], "6"), "origin")
    record_release(work, _staged(commits[1], "7"), "origin")  # staging re-run for the same commit
    racer = _clone(origin, tmp_path / "racer")
    # Between the racer's fetch and its push, another record lands (once): its first push is rejected.
    other = json.dumps(_staged(commits[0]))
    (tmp_path / "other.json").write_text(other, encoding="utf-8")
    hook = racer / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        f"[ -e '{tmp_path}/raced' ] && exit 0\ntouch '{tmp_path}/raced'\n"
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"g='git -C {work} -c user.name=t -c user.email=t@example.invalid'\n"
        f"$g fetch -q origin +{NOTES_REF}:{NOTES_REF}\n"
        f"$g notes --ref={NOTES_REF} add -f -F '{tmp_path}/other.json' {commits[0]}\n"
        f"$g push -q origin {NOTES_REF}:{NOTES_REF}\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    record_release(racer, _staged(commits[1], "8"), "origin")
    assert (tmp_path / "raced").exists(), "the race happened"
    reader = _clone(origin, tmp_path / "reader")
    assert recorded_release(reader, commits[0], "origin") == _staged(commits[0])
    assert recorded_release(reader, commits[1], "origin")["model"]["version"] == "8"


def test_only_staging_manifests_are_recorded(repos) -> None:
    _, work, commits = repos
    dev_only = with_deployment(
        new_release(_staged(commits[1]), _staged(commits[1])["model"], commits[1]), "dev"
    )
    with pytest.raises(ReleaseError, match="only the manifest staging deployed is recorded"):
        record_release(work, dev_only, "origin")


def test_promote_writes_the_tag_commits_manifest_and_refuses_an_undeployed_commit(
    repos, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, work, commits = repos
    record_release(work, _staged(commits[1]), "origin")
    _git(work, "tag", "v1.1.0", commits[1])
    _git(work, "tag", "v1.0.0", commits[0])
    out = tmp_path / "release-in" / "release.json"
    outputs, summary = tmp_path / "github-output", tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert release_command.promote(work, "v1.1.0", out, "origin") == 0
    assert read_release(out) == _staged(commits[1])
    assert f"commit={commits[1]}\n" in outputs.read_text(encoding="utf-8"), "prod checks out this commit"
    with pytest.raises(ReleaseError) as refused:
        release_command.promote(work, "v1.0.0", tmp_path / "x.json", "origin")
    assert str(refused.value).startswith(f"release v1.0.0: staging has not deployed commit {commits[0][:12]}")
    assert f"**Refused**: {refused.value}" in summary.read_text(encoding="utf-8")


def test_notes_compare_with_the_previous_tags_manifest_and_diff_the_query(repos, tmp_path: Path) -> None:
    _, work, commits = repos
    record_release(work, _staged(commits[0], "5"), "origin")
    record_release(work, _staged(commits[1], "7"), "origin")
    _git(work, "tag", "v1.0.0", commits[0])
    unrecorded = _commit(work, "README.md", "a commit staging never deployed\n")
    _git(work, "tag", "v1.0.1", unrecorded)  # no manifest recorded: refused, never reached prod
    _git(work, "tag", "v1.1.0", commits[1])
    manifest = tmp_path / "release.json"
    manifest.write_text(json.dumps(_staged(commits[1], "7")), encoding="utf-8")
    out = tmp_path / "notes.md"
    release_command.notes(
        work, "v1.1.0", manifest, out, "origin", attach=False, environments=ROOT / "environments"
    )
    notes = out.read_text(encoding="utf-8")
    assert "replaces version 5 of v1.0.0" in notes
    assert "-SELECT * FROM input WHERE amount > 0\n+SELECT * FROM input WHERE amount >= 0" in notes


def test_attach_sets_the_notes_on_the_release_and_uploads_nothing(
    repos, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gh` stands in for GitHub (no local stand-in exists): the only call is `release edit --notes-file`,
    which an immutable release still accepts; an asset upload would be refused after publication."""
    _, work, commits = repos
    record_release(work, _staged(commits[1], "7"), "origin")
    _git(work, "tag", "v1.0.0", commits[1])
    bin_dir, calls = tmp_path / "bin", tmp_path / "gh-calls.txt"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{calls}"\n', encoding="utf-8")
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    manifest, out = tmp_path / "release.json", tmp_path / "notes.md"
    manifest.write_text(json.dumps(_staged(commits[1], "7")), encoding="utf-8")
    release_command.notes(
        work, "v1.0.0", manifest, out, "origin", attach=True, environments=ROOT / "environments"
    )
    assert calls.read_text(encoding="utf-8").splitlines() == [f"release edit v1.0.0 --notes-file {out}"]
    assert "## Release manifest" in out.read_text(encoding="utf-8")
