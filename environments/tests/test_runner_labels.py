"""`python -m environments runner`: the runs-on labels the workflows read from the environment files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.__main__ import main


def test_one_environment_prints_its_labels_and_writes_the_step_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert main(["runner", "prod", "--github-output"]) == 0
    assert json.loads(capsys.readouterr().out) == ["self-hosted", "linux", "streamscore-prod"]
    assert output.read_text() == 'earlier=1\nlabels=["self-hosted","linux","streamscore-prod"]\n'


def test_several_environments_print_an_object_by_name(capsys: pytest.CaptureFixture) -> None:
    assert main(["runner", "dev", "staging"]) == 0
    labels = json.loads(capsys.readouterr().out)
    assert labels == {
        "dev": ["self-hosted", "linux", "streamscore-dev"],
        "staging": ["self-hosted", "linux", "streamscore-staging"],
    }


def test_github_output_outside_a_workflow_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    assert main(["runner", "dev", "--github-output"]) == 1
    assert "$GITHUB_OUTPUT is not set" in capsys.readouterr().err
