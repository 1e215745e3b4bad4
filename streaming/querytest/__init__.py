"""Query tests in Stream Analytics' local-test format (`test/testConfig.json`), run on the local engine.

`run_tests(project, test_config, output_dir)` mirrors `azure-streamanalytics-cicd test`; see README in
`streaming/engine/README.md` ("Query tests") for the file formats and the scoring stand-in.
"""

from __future__ import annotations

from streaming.querytest.errors import QueryTestError
from streaming.querytest.runner import CaseResult, TestRun, run_tests
from streaming.querytest.standin import StandInScoringTransport, stand_in_score

__all__ = [
    "CaseResult",
    "QueryTestError",
    "StandInScoringTransport",
    "TestRun",
    "run_tests",
    "stand_in_score",
]
