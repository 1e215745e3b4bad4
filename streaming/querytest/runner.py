"""Run the test cases of a testConfig.json through the local engine and summarise like the ASA tool."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streaming.engine import Engine, EngineError, Plan, compile_query, records
from streaming.engine.letter_case import CaseDependentComparison, watch_letter_case
from streaming.querytest.cases import CaseResult, TestCase, compare_outputs, load_cases, time_span
from streaming.querytest.data_files import write_records
from streaming.querytest.errors import QueryTestError
from streaming.querytest.project import Project, load_project
from streaming.querytest.standin import StandInScoringTransport

SUMMARY_FILE = "testResultSummary.json"


@dataclass
class TestRun:
    """The results of every case of one testConfig.json."""

    __test__ = False  # not a pytest test class

    cases: list[CaseResult]
    script: str = ""
    output_dir: Path | None = None
    seconds: float = 0.0
    case_dependent: list[CaseDependentComparison] = field(default_factory=list)
    """String comparisons whose result on the test inputs depends on letter case (decision 0021)."""

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)

    def summary(self) -> dict[str, Any]:
        failed = sum(not case.passed for case in self.cases)
        return {
            "Total": len(self.cases),
            "Passed": len(self.cases) - failed,
            "Failed": failed,
            "Script": self.script,
            "Results": [
                case.summary(self.output_dir / _safe(case.name) if self.output_dir else None)
                for case in self.cases
            ],
            "Time": time_span(self.seconds),
        }


def compile_project(project: Project) -> Plan:
    try:
        return compile_query(project.query, project.functions)
    except EngineError as exc:
        raise QueryTestError(f"{project.query_file}: {exc}") from exc


def run_tests(
    project_path: Path, test_config_path: Path | None = None, output_dir: Path | None = None
) -> TestRun:
    """Run every case; writes actual outputs per case and testResultSummary.json into `output_dir`."""
    project = load_project(project_path)
    test_config_path = test_config_path or project_path.parent / "test" / "testConfig.json"
    plan = compile_project(project)
    cases = load_cases(test_config_path, plan)
    output_dir = output_dir or test_config_path.parent / "output"
    results = []
    started = time.perf_counter()
    with watch_letter_case() as letter_case:
        for case in cases:
            case_started = time.perf_counter()
            outputs = run_case(project, plan, case)
            for alias in plan.outputs:
                write_records(output_dir / _safe(case.name) / f"{alias}.json", outputs.get(alias, []))
            result = compare_outputs(case, outputs, plan.outputs)
            result.seconds = time.perf_counter() - case_started
            results.append(result)
    script = str(project.query_file.resolve())
    run = TestRun(results, script, output_dir.resolve(), time.perf_counter() - started, letter_case.findings)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / SUMMARY_FILE).write_text(json.dumps(run.summary(), indent=2) + "\n", encoding="utf-8")
    return run


def run_case(project: Project, plan: Plan, case: TestCase) -> dict[str, list[dict[str, Any]]]:
    """One case on a fresh engine: each input's events in file order, then end of input."""
    transport = None
    if project.bindings:
        binding = next(iter(project.bindings.values()))
        transport = StandInScoringTransport(
            binding.input_request_name, binding.input_name, binding.output_response_name
        )
    missing = [name for name in plan.references if name not in case.references]
    if missing:
        raise QueryTestError(
            f"case {case.name!r}: the query JOINs reference input {missing[0]!r}; give the case an input "
            f'with "InputAlias": "{missing[0]}", "Type": "Reference Data" and its file'
        )
    engine = Engine(plan, project.ordering, transport)
    outputs: dict[str, list[dict[str, Any]]] = {}
    try:
        for alias, rows in case.references.items():
            engine.load_reference(alias, rows, source=case.reference_files.get(alias, ""))
        for alias, events in case.inputs.items():
            for record in records(engine.process(alias, events)):
                outputs.setdefault(record.output, []).append(record.payload)
        for record in records(engine.flush()):
            outputs.setdefault(record.output, []).append(record.payload)
    except EngineError as exc:
        raise QueryTestError(f"case {case.name!r}: {exc}") from exc
    finally:
        engine.close()
    return outputs


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "case"
