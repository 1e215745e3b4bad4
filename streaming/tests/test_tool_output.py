"""The check run after the real `azure-streamanalytics-cicd build`/`test` in pull-request CI: it reads the
summary our own `python -m streaming test` writes (same documented layout) and refuses runs that did
nothing or failed, and build folders without the job's ARM template."""

from __future__ import annotations

import json
from pathlib import Path

from streaming.querytest import run_tests
from streaming.querytest.tool_output import build_problems, main, read_summary, summary_problems
from streaming.testing import write_query_project

ROWS = [{"v": 1, "t": "2026-11-29T10:00:01Z"}]


def summary_of(tmp_path: Path, expected: list[dict]) -> Path:
    project = write_query_project(
        tmp_path / "p", "SELECT v FROM input TIMESTAMP BY t", {"input": ROWS}, {"output": expected}
    )
    run_tests(project, output_dir=tmp_path / "out")
    return tmp_path / "out" / "testResultSummary.json"


def test_our_summary_has_the_documented_layout_and_passes(tmp_path: Path) -> None:
    path = summary_of(tmp_path, [{"v": 1}])
    data = json.loads(path.read_text())
    assert {"Total", "Passed", "Failed", "Script", "Results", "Time"} <= set(data)
    matched = data["Results"][0]["OutputMatched"][0]
    assert matched["OutputAlias"] == "output" and Path(matched["Output"]).is_file()
    assert Path(matched["ExpectedOutput"]).is_file()
    assert summary_problems(read_summary(path)) == []
    assert main(["--summary", str(path)]) == 0


def test_a_failed_case_and_an_empty_run_are_refused(tmp_path: Path) -> None:
    failed = summary_of(tmp_path, [{"v": 2}])
    assert any("output" in problem for problem in summary_problems(read_summary(failed)))
    assert main(["--summary", str(failed)]) == 1
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"Total": 0, "Passed": 0, "Failed": 0, "Results": []}))
    assert summary_problems(read_summary(empty)) == ["no test case ran"]
    assert main(["--summary", str(tmp_path / "never-written.json")]) == 1


def test_a_build_folder_needs_the_job_template_and_its_parameters(tmp_path: Path) -> None:
    assert build_problems(tmp_path) != []  # the tool wrote nothing
    template = {"resources": [{"type": "Microsoft.StreamAnalytics/StreamingJobs", "name": "job"}]}
    (tmp_path / "asa.JobTemplate.json").write_text(json.dumps(template))
    assert build_problems(tmp_path) == [f"{tmp_path / 'asa.JobTemplate.parameters.json'}: missing"]
    (tmp_path / "asa.JobTemplate.parameters.json").write_text("{}")
    assert build_problems(tmp_path) == []
    assert main(["--build", str(tmp_path)]) == 0
