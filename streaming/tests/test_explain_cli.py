"""`python -m streaming explain <env>` prints the plan the engine builds for the rendered project."""

from __future__ import annotations

from pathlib import Path

import pytest

from environments.golden_render import GOLDEN_ROOT
from streaming.cli import explain
from streaming.runtime import compile_project, load_project

DEV_PROJECT = GOLDEN_ROOT / "dev" / "streaming" / "asa"  # dev's rendered project, as checked in


def test_explain_prints_the_plan_of_the_rendered_query(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain.main(["dev", "--project", str(DEV_PROJECT)]) == 0
    printed = capsys.readouterr().out
    assert printed.endswith(compile_project(load_project(DEV_PROJECT)).explain() + "\n")
    assert "CallFunction udf.score(ModelInput) batch=1000" in printed
    assert "Output deadletter <- " in printed


def test_explain_names_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert explain.main(["dev", "--project", str(tmp_path / "asa")]) == 1
    assert "render the environment first" in capsys.readouterr().err
    assert explain.main(["no-such-environment"]) == 1
    assert "no such environment file" in capsys.readouterr().err
