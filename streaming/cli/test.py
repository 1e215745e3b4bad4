"""`python -m streaming test --project P [--testConfigPath T] [--outputPath D]`: query test cases.

Mirrors `azure-streamanalytics-cicd test`: runs each case of testConfig.json on the local engine, writes
the actual outputs and `testResultSummary.json` to the output folder. Exit codes as the ASA tool's:
0 all passed, -2 a case failed, -1 the project or a file cannot be used (a shell sees 254 and 255).
A string comparison whose result on the test inputs depends on letter case is named once on stderr
(the engine compares text case-sensitively; the service's rule is undocumented, decision 0021).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from streaming.querytest import QueryTestError, run_tests
from streaming.querytest.runner import SUMMARY_FILE

EXIT_FAILED = -2
EXIT_ERROR = -1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m streaming test", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", required=True, type=Path, help="asaproj.json of the Stream Analytics project"
    )
    parser.add_argument(
        "--testConfigPath", type=Path, help="testConfig.json (default: <project>/test/testConfig.json)"
    )
    parser.add_argument("--outputPath", type=Path, help="where actual outputs and the summary go")
    args = parser.parse_args(argv)
    test_config = args.testConfigPath or args.project.parent / "test" / "testConfig.json"
    output = args.outputPath or test_config.parent / "output"
    try:
        run = run_tests(args.project, test_config, output)
    except QueryTestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for case in run.cases:
        status = "passed" if case.passed else "FAILED"
        print(
            f"{status}: {case.name}  matched={case.matched} not_equal={case.not_equal} missing={case.missing}"
        )
        for alias, detail in case.details.items():
            for row in detail["ExpectedNotFound"][:3]:
                print(f"    {alias}: expected, not produced: {row}")
            for row in detail["ActualNotExpected"][:3]:
                print(f"    {alias}: produced, not expected: {row}")
    for comparison in run.case_dependent:
        print(f"warning: {comparison.message()}", file=sys.stderr)
    summary = run.summary()
    print(f"{summary['Passed']}/{summary['Total']} passed; summary in {output / SUMMARY_FILE}")
    return 0 if run.passed else EXIT_FAILED
