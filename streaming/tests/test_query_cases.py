"""The rendered query's testConfig.json cases pass on the local engine, per environment and per data
schema (the card demo's and a breast-cancer-shaped one, with and without the aggregate); failures show."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from environments.loader import OVERRIDES_VARIABLE
from environments.render import render_environment
from streaming.cli import test as test_command
from streaming.engine import FunctionBinding, compile_query
from streaming.querytest import run_tests
from streaming.querytest.tool_output import read_summary, summary_problems

BREAST_CANCER_SCHEMA = Path(__file__).parent / "fixtures" / "breast-cancer-schema.yml"
SCHEMAS = {
    # name: (environment, overrides: None or the override file's YAML, the aggregate's column)
    "local": ("local", None, "merchant_category"),
    "prod": ("prod", None, "merchant_category"),
    "breast-cancer": (
        "local",
        {
            "data": {"schema_file": str(BREAST_CANCER_SCHEMA)},
            "stream_analytics": {"aggregate_by": "size_class"},
        },
        "size_class",
    ),
    "breast-cancer-no-aggregate": (
        "local",
        {"data": {"schema_file": str(BREAST_CANCER_SCHEMA)}, "stream_analytics": {"aggregate_by": None}},
        None,
    ),
}


def render_asa_project(env_name: str, out: Path, overrides: dict | None = None) -> Path:
    """Render only the streaming domain's templates (other domains' templates are not needed here),
    with `overrides` merged over the environment as a user's override file is."""
    with pytest.MonkeyPatch.context() as patch:
        if overrides is not None:
            override_file = out / "overrides.yml"
            override_file.parent.mkdir(parents=True, exist_ok=True)
            override_file.write_text(json.dumps(overrides))
            patch.setenv(OVERRIDES_VARIABLE, str(override_file))
        render_environment(env_name, out=out, domains=("streaming",))
    return out / "streaming" / "asa"


@pytest.fixture(scope="module", params=sorted(SCHEMAS))
def rendered_case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str | None]:
    env_name, overrides, column = SCHEMAS[request.param]
    return render_asa_project(env_name, tmp_path_factory.mktemp(f"render-{request.param}"), overrides), column


@pytest.fixture
def rendered(rendered_case: tuple[Path, str | None]) -> Path:
    return rendered_case[0]


def test_rendered_query_compiles_with_its_aliases(rendered_case: tuple[Path, str | None]) -> None:
    rendered, column = rendered_case
    plan = compile_query(
        (rendered / "scoring.asaql").read_text(), {"score": FunctionBinding("score", "http://x")}
    )
    assert list(plan.inputs) == ["transactions"]
    aggregates = {"category-aggregates"} if column else set()
    assert set(plan.outputs) == {"scored-eventhub", "scored-blob", "deadletter", *aggregates}


def test_query_cases_pass(rendered_case: tuple[Path, str | None], tmp_path: Path) -> None:
    rendered, column = rendered_case
    run = run_tests(rendered / "asaproj.json", rendered / "test" / "testConfig.json", tmp_path)
    assert run.passed, (tmp_path / "testResultSummary.json").read_text()[:3000]
    summary = read_summary(tmp_path / "testResultSummary.json")
    assert summary.total == summary.passed == 3 and summary_problems(summary) == []
    matched = summary.case("Valid").outputs["OutputMatched"]
    assert {"scored-eventhub", "scored-blob", "deadletter"} <= set(matched)
    assert ("category-aggregates" in summary.case("Late").outputs["OutputMatched"]) == (column is not None)


def test_the_aggregate_groups_by_the_named_column(rendered_case: tuple[Path, str | None]) -> None:
    rendered, column = rendered_case
    query = (rendered / "scoring.asaql").read_text()
    expected = _records(rendered / "test" / "valid-and-invalid.aggregates.json") if column else []
    if column is None:
        assert (
            "GROUP BY" not in query and not (rendered / "test" / "valid-and-invalid.aggregates.json").exists()
        )
        return
    assert f"GROUP BY {column}, TumblingWindow" in query
    assert expected and all(row[column] is not None for row in expected)
    assert len({row[column] for row in expected}) >= 2, "the cases put events in more than one group"


CARD_KINDS = {"not a boolean", "not an integer", "not a count", "not a whole number"}
COMMON_KINDS = {"missing", "out of range", "unknown category", "not a number", "not a string"}


def test_the_cases_cover_every_kind_of_check(rendered_case: tuple[Path, str | None]) -> None:
    rendered, _ = rendered_case
    rejections = [
        row["rejection"] for row in _records(rendered / "test" / "valid-and-invalid.deadletter.json")
    ]
    kinds = {text.split(": ", 1)[1].split(" [")[0] for text in rejections}
    card = "transaction_id: missing" in rejections
    assert kinds == COMMON_KINDS | (CARD_KINDS if card else set())
    assert card or "sample_id: missing" in rejections
    scored = _records(rendered / "test" / "valid-and-invalid.scored.json")
    assert len(scored) >= 4 and len({row["score"] for row in scored}) >= 3, "scores vary with the features"


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_wrong_expectation_fails_with_exit_code_minus_two(rendered: Path, tmp_path: Path) -> None:
    project = tmp_path / "asa"
    shutil.copytree(rendered, project)
    expected = project / "test" / "valid-and-invalid.deadletter.json"
    first = _records(expected)[0]["rejection"]
    expected.write_text(expected.read_text().replace(first, "fine", 1))
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
    expected = (rendered / "test" / "valid-and-invalid.deadletter.json").read_text().count("\n")
    assert (tmp_path / "Valid_and_invalid_events" / "deadletter.json").read_text().count("\n") == expected > 5
