"""What `azure-streamanalytics-cicd build` and `test` leave behind, checked; one reader of
`testResultSummary.json` for the real tool and for `python -m streaming test` (same layout).

The real tool exits 0 even when it built or tested nothing, so pull-request CI runs it and then
`python -m streaming.querytest.tool_output --build <dir> --summary <file>`, which fails unless the ARM
template and its parameters file exist and hold a Stream Analytics job, the summary has at least one
case, and every case passed. Layouts: "Automate builds, tests, and deployments of a Stream Analytics
project" (learn.microsoft.com/azure/stream-analytics/cicd-tools): build writes
`[ProjectName].JobTemplate.json` and `[ProjectName].JobTemplate.parameters.json`; test writes
`{"Total", "Passed", "Failed", "Script", "Results": [{"Name", "Status" (0 passed, 1 failed), "Time",
"OutputMatched", "OutputNotEqual", "OutputMissing", "OutputUnexpected", "OutputUnrequired"}], "Time"}`
with each output as `{"OutputAlias", "ExpectedOutput", "Output"}`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from environments.unique_keys import loads_json
from streaming.querytest.errors import QueryTestError

OUTPUT_KINDS = ("OutputMatched", "OutputNotEqual", "OutputMissing", "OutputUnexpected", "OutputUnrequired")
JOB_TYPE = "Microsoft.StreamAnalytics/streamingjobs"


@dataclass(frozen=True)
class CaseSummary:
    """One case of a summary: its status and the output aliases of each kind (`OUTPUT_KINDS`)."""

    name: str
    passed: bool
    outputs: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class TestSummary:
    __test__ = False  # not a pytest test class

    total: int
    passed: int
    failed: int
    cases: tuple[CaseSummary, ...]

    def case(self, prefix: str) -> CaseSummary:
        """The first case whose name starts with `prefix`."""
        return next(case for case in self.cases if case.name.startswith(prefix))


def read_summary(path: Path) -> TestSummary:
    """Read a `testResultSummary.json`; a file that does not have the documented layout is refused."""
    try:
        data = loads_json(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise QueryTestError(f"{path}: cannot read the test summary: {exc}") from exc
    if not isinstance(data, dict):
        raise QueryTestError(f"{path}: the test summary is not a JSON object")
    total, passed, failed = (_integer(data, key, path) for key in ("Total", "Passed", "Failed"))
    results = data.get("Results")
    if not isinstance(results, list):
        raise QueryTestError(f"{path}: missing list 'Results'")
    cases = tuple(_case(entry, f"{path}: Results[{index}]") for index, entry in enumerate(results))
    return TestSummary(total, passed, failed, cases)


def summary_problems(summary: TestSummary) -> list[str]:
    """Why a summary is not a success (empty when every case of a non-empty run passed)."""
    problems = []
    if summary.total == 0 or not summary.cases:
        problems.append("no test case ran")
    if summary.total != len(summary.cases):
        problems.append(f"Total is {summary.total} but Results has {len(summary.cases)} cases")
    if summary.failed or summary.passed != summary.total:
        problems.append(f"{summary.failed} of {summary.total} cases failed")
    for case in summary.cases:
        if not case.passed:
            differing = {
                kind: aliases
                for kind in ("OutputNotEqual", "OutputMissing")
                if (aliases := case.outputs[kind])
            }
            problems.append(f"case {case.name!r} failed: {differing}")
    return problems


def build_problems(folder: Path) -> list[str]:
    """Why a build output folder does not hold one job's ARM template and parameters file."""
    templates = sorted(folder.glob("*.JobTemplate.json"))
    if len(templates) != 1:
        return [f"{folder}: expected one *.JobTemplate.json, found {[t.name for t in templates]}"]
    template = templates[0]
    parameters = template.with_name(
        template.name.replace(".JobTemplate.json", ".JobTemplate.parameters.json")
    )
    problems = [] if parameters.is_file() else [f"{parameters}: missing"]
    try:
        resources = loads_json(template.read_text(encoding="utf-8-sig")).get("resources", [])
    except (OSError, ValueError, AttributeError) as exc:
        return [*problems, f"{template}: not a JSON template: {exc}"]
    if not any(isinstance(r, dict) and str(r.get("type", "")).lower() == JOB_TYPE.lower() for r in resources):
        problems.append(f"{template}: no resource of type {JOB_TYPE}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, help="the output folder of `azure-streamanalytics-cicd build`")
    parser.add_argument("--summary", type=Path, help="the testResultSummary.json of `... test`")
    args = parser.parse_args(argv)
    if args.build is None and args.summary is None:
        parser.error("give --build, --summary or both")
    problems = build_problems(args.build) if args.build is not None else []
    if args.summary is not None:
        try:
            problems.extend(summary_problems(read_summary(args.summary)))
        except QueryTestError as exc:
            problems.append(str(exc))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print("build and test outputs complete; every case passed")
    return 1 if problems else 0


def _integer(data: dict[str, Any], key: str, path: Path) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise QueryTestError(f"{path}: {key!r} must be an integer, got {value!r}")
    return value


def _case(entry: Any, where: str) -> CaseSummary:
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("Name"), str)
        or entry.get("Status") not in (0, 1)
    ):
        raise QueryTestError(f"{where}: needs 'Name' (text) and 'Status' (0 or 1)")
    outputs: dict[str, tuple[str, ...]] = {}
    for kind in OUTPUT_KINDS:
        listed = entry.get(kind, [])
        if not isinstance(listed, list) or not all(
            isinstance(o, dict) and "OutputAlias" in o for o in listed
        ):
            raise QueryTestError(
                f"{where}.{kind}: needs a list of {{'OutputAlias', 'ExpectedOutput', 'Output'}}"
            )
        outputs[kind] = tuple(str(o["OutputAlias"]) for o in listed)
    return CaseSummary(entry["Name"], entry["Status"] == 0, outputs)


if __name__ == "__main__":
    sys.exit(main())
