"""The rendered query's testConfig.json cases pass on the local engine, per environment; failures show."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from environments.render import render_environment
from streaming.cli import test as test_command
from streaming.engine import FunctionBinding, compile_query
from streaming.querytest import run_tests
from streaming.querytest.tool_output import read_summary, summary_problems


def render_asa_project(env_name: str, out: Path) -> Path:
    """Render only the streaming domain's templates (other domains' templates are not needed here)."""
    render_environment(env_name, out=out, domains=("streaming",))
    return out / "streaming" / "asa"


@pytest.fixture(scope="module", params=["local", "prod"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_asa_project(request.param, tmp_path_factory.mktemp(f"render-{request.param}"))


def test_rendered_query_compiles_with_its_aliases(rendered: Path) -> None:
    plan = compile_query(
        (rendered / "scoring.asaql").read_text(), {"score": FunctionBinding("score", "http://x")}
    )
    assert list(plan.inputs) == ["transactions"]
    assert set(plan.outputs) == {"scored-eventhub", "scored-blob", "deadletter", "category-aggregates"}


def test_query_cases_pass(rendered: Path, tmp_path: Path) -> None:
    run = run_tests(rendered / "asaproj.json", rendered / "test" / "testConfig.json", tmp_path)
    assert run.passed, (tmp_path / "testResultSummary.json").read_text()[:3000]
    summary = read_summary(tmp_path / "testResultSummary.json")
    assert summary.total == summary.passed == 3 and summary_problems(summary) == []
    assert "category-aggregates" in summary.case("Late").outputs["OutputMatched"]


def test_a_wrong_expectation_fails_with_exit_code_minus_two(rendered: Path, tmp_path: Path) -> None:
    project = tmp_path / "asa"
    shutil.copytree(rendered, project)
    expected = project / "test" / "valid-and-invalid.deadletter.json"
    expected.write_text(expected.read_text().replace("amount: out of range", "amount: fine"))
    code = test_command.main(
        ["--project", str(project / "asaproj.json"), "--outputPath", str(tmp_path / "out")]
    )
    assert code == -2
    summary = read_summary(tmp_path / "out" / "testResultSummary.json")
    first = summary.cases[0]
    assert (first.passed, first.outputs["OutputNotEqual"]) == (False, ("deadletter",))
    assert "deadletter" in summary_problems(summary)[-1]


def test_a_missing_project_file_exits_minus_one(tmp_path: Path) -> None:
    assert test_command.main(["--project", str(tmp_path / "asaproj.json")]) == -1


def test_command_line_entry_point(rendered: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streaming",
            "test",
            "--project",
            str(rendered / "asaproj.json"),
            "--outputPath",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3/3 passed" in result.stdout
    assert (tmp_path / "Valid_and_invalid_events" / "deadletter.json").read_text().count("\n") == 7
