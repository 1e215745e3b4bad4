"""Query tests in Stream Analytics' local-test format (`test/testConfig.json`), run on the local engine.

`run_tests(project, test_config, output_dir)` mirrors `azure-streamanalytics-cicd test`. The pieces are
public so the same cases can run through another driver (e.g. the Kafka runtime):
`load_project` -> `compile_project` -> `load_cases` -> (events in, outputs out) -> `compare_outputs`.
Formats and the scoring stand-in: `streaming/engine/README.md`, "Query tests".
"""

from __future__ import annotations

from streaming.querytest.cases import CaseResult, Expectation, TestCase, compare_outputs, load_cases
from streaming.querytest.errors import QueryTestError
from streaming.querytest.project import Project, load_project
from streaming.querytest.runner import TestRun, compile_project, run_case, run_tests
from streaming.querytest.standin import StandInScoringTransport, stand_in_score

__all__ = [
    "CaseResult",
    "Expectation",
    "Project",
    "QueryTestError",
    "StandInScoringTransport",
    "TestCase",
    "TestRun",
    "compare_outputs",
    "compile_project",
    "load_cases",
    "load_project",
    "run_case",
    "run_tests",
    "stand_in_score",
]
