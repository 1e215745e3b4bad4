"""A release tag vX.Y.Z promotes exactly the manifest staging recorded for its commit, or is refused
with one line saying why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.deploy.release import ReleaseError, new_release, with_deployment
from environments.deploy.release_tags import previous_tag, promotable, tag_version

SAMPLE = Path(__file__).parent / "data" / "release-staging-sample.json"


def _staged() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("tag", ["1.2.3", "v1.2", "v01.2.3", "v1.2.3-rc1", "release-1"])
def test_only_v_major_minor_patch_is_a_release_tag(tag: str) -> None:
    with pytest.raises(ReleaseError, match=r"is not a release tag vX\.Y\.Z"):
        tag_version(tag)


def test_the_previous_release_is_the_highest_lower_release_tag() -> None:
    tags = ["v1.9.0", "v1.10.0", "v1.10.1", "v2.0.0", "nightly", "v1.2.3"]
    assert previous_tag("v1.10.1", tags) == "v1.10.0"
    assert previous_tag("v1.10.0", tags) == "v1.9.0"
    assert previous_tag("v2.0.0", tags) == "v1.10.1"
    assert previous_tag("v1.2.3", tags) is None


def test_a_tag_on_a_commit_staging_deployed_promotes_that_manifest() -> None:
    staged = _staged()
    assert promotable("v1.3.0", staged["git_commit"], staged) is staged


def test_a_tag_on_a_commit_staging_has_not_deployed_is_refused_in_one_line() -> None:
    with pytest.raises(ReleaseError) as refused:
        promotable("v1.3.0", "a" * 40, None)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("release v1.3.0: staging has not deployed commit aaaaaaaaaaaa")


def test_a_manifest_staging_did_not_deploy_last_or_that_was_edited_is_refused() -> None:
    staged = _staged()
    dev_only = {**staged, "deployed": staged["deployed"][:1]}
    with pytest.raises(ReleaseError, match="staging has not deployed and smoke-tested it"):
        promotable("v1.3.0", staged["git_commit"], dev_only)
    edited = {**staged, "model": {**staged["model"], "version": "8"}}
    with pytest.raises(ReleaseError, match="edited after dev wrote it"):
        promotable("v1.3.0", staged["git_commit"], edited)


def test_a_note_for_another_commit_is_refused() -> None:
    staged = _staged()
    other = with_deployment(with_deployment(new_release(staged, staged["model"], "b" * 40), "dev"), "staging")
    with pytest.raises(ReleaseError, match="is for commit bbbbbbbbbbbb"):
        promotable("v1.3.0", staged["git_commit"], other)
