"""Run the test cases of a testConfig.json through the local engine and summarise like the ASA tool."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streaming.engine import Engine, EngineError, InputEvent, compile_query
from streaming.engine.values import CastError, micros_to_datetime, parse_datetime, to_timestamp
from streaming.querytest.compare import unmatched
from streaming.querytest.data_files import read_records, write_records
from streaming.querytest.errors import QueryTestError
from streaming.querytest.project import Project, load_project, read_json
from streaming.querytest.standin import StandInScoringTransport

ARRIVAL_FIELD = "EventEnqueuedUtcTime"
"""Input records may carry their arrival time under the Event Hubs system property name."""
PARTITION_FIELD = "PartitionId"
SUMMARY_FILE = "testResultSummary.json"


@dataclass
class CaseResult:
    """One case: which outputs matched, differed, were missing, unexpected or not required."""

    name: str
    matched: list[str] = field(default_factory=list)
    not_equal: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    unrequired: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not (self.not_equal or self.missing)

    def summary(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Status": 0 if self.passed else 1,
            "OutputMatched": self.matched,
            "OutputNotEqual": self.not_equal,
            "OutputMissing": self.missing,
            "OutputUnexpected": self.unexpected,
            "OutputUnrequired": self.unrequired,
            "Details": self.details,
        }


@dataclass
class TestRun:
    cases: list[CaseResult]

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)

    def summary(self) -> dict[str, Any]:
        failed = sum(not case.passed for case in self.cases)
        return {
            "Total": len(self.cases),
            "Passed": len(self.cases) - failed,
            "Failed": failed,
            "Cases": [case.summary() for case in self.cases],
        }


def run_tests(
    project_path: Path, test_config_path: Path | None = None, output_dir: Path | None = None
) -> TestRun:
    """Run every case; writes actual outputs per case and testResultSummary.json into `output_dir`."""
    project = load_project(project_path)
    test_config_path = test_config_path or project_path.parent / "test" / "testConfig.json"
    config = read_json(test_config_path)
    cases = config.get("TestCases") if isinstance(config, dict) else None
    if not isinstance(cases, list):
        raise QueryTestError(f"{test_config_path}: missing list 'TestCases'")
    try:
        plan = compile_query(project.query, project.functions)
    except EngineError as exc:
        raise QueryTestError(f"{project.query_file}: {exc}") from exc
    output_dir = output_dir or test_config_path.parent / "output"
    results = [
        _run_case(project, plan, case, index, test_config_path.parent, output_dir)
        for index, case in enumerate(cases)
    ]
    run = TestRun(results)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / SUMMARY_FILE).write_text(json.dumps(run.summary(), indent=2) + "\n", encoding="utf-8")
    return run


def _run_case(
    project: Project, plan: Any, case: Any, index: int, folder: Path, output_dir: Path
) -> CaseResult:
    where = f"TestCases[{index}]"
    name = case.get("Name") if isinstance(case, dict) else None
    if not name:
        raise QueryTestError(f"{where}: missing 'Name'")
    transports = {n: StandInScoringTransport(b.input_request_name, b.input_name, b.output_response_name)
                  for n, b in project.functions.items()}  # fmt: skip
    transport = next(iter(transports.values()), None)
    engine = Engine(plan, project.ordering, transport)
    outputs: dict[str, list[dict[str, Any]]] = {}
    try:
        for position, spec in enumerate(case.get("Inputs", [])):
            alias = spec.get("InputAlias")
            if spec.get("Type", "Data Stream") != "Data Stream":
                raise QueryTestError(f"{where}.Inputs[{position}]: only 'Data Stream' inputs are supported")
            if spec.get("Format", "Json") != "Json":
                raise QueryTestError(f"{where}.Inputs[{position}]: only Json inputs are supported")
            if alias not in plan.inputs:
                raise QueryTestError(f"{where}.Inputs[{position}]: the query has no input {alias!r}")
            records = read_records(folder / spec["FilePath"])
            events = [
                _event(record, plan.inputs[alias], folder / spec["FilePath"], n)
                for n, record in enumerate(records)
            ]
            events.sort(key=lambda event: event.arrival_time)
            for record in engine.process(alias, events):
                outputs.setdefault(record.output, []).append(record.payload)
        for record in engine.flush():
            outputs.setdefault(record.output, []).append(record.payload)
    except EngineError as exc:
        raise QueryTestError(f"{where} ({name}): {exc}") from exc
    finally:
        engine.close()
    case_dir = output_dir / _safe(name)
    for alias in plan.outputs:
        write_records(case_dir / f"{alias}.json", outputs.get(alias, []))
    result = CaseResult(name)
    expected_aliases = set()
    for spec in case.get("ExpectedOutputs", []):
        alias = spec.get("OutputAlias")
        expected_aliases.add(alias)
        if not spec.get("Required", True):
            result.unrequired.append(alias)
            continue
        if alias not in plan.outputs:
            result.missing.append(alias)
            continue
        missing, unexpected = unmatched(outputs.get(alias, []), read_records(folder / spec["FilePath"]))
        if missing or unexpected:
            result.not_equal.append(alias)
            result.details[alias] = {"ExpectedNotFound": missing, "ActualNotExpected": unexpected}
        else:
            result.matched.append(alias)
    result.unexpected = [
        alias for alias in plan.outputs if alias not in expected_aliases and outputs.get(alias)
    ]
    return result


def _event(record: dict[str, Any], input_step: Any, path: Path, number: int) -> InputEvent:
    arrival_text = record.get(ARRIVAL_FIELD)
    try:
        if arrival_text is not None:
            arrival = parse_datetime(str(arrival_text))
        else:
            stamp = to_timestamp(input_step.timestamp(record)) if input_step.timestamp else None
            if stamp is None:
                raise QueryTestError(
                    f"{path}, record {number + 1}: give it an {ARRIVAL_FIELD} (arrival time)"
                )
            arrival = micros_to_datetime(stamp)
    except CastError as exc:
        raise QueryTestError(f"{path}, record {number + 1}: {ARRIVAL_FIELD}: {exc}") from exc
    partition = record.get(PARTITION_FIELD, 0)
    if not isinstance(partition, int):
        raise QueryTestError(f"{path}, record {number + 1}: {PARTITION_FIELD} must be an integer")
    return InputEvent(record, arrival, partition)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "case"


__all__ = ["CaseResult", "TestRun", "run_tests"]
