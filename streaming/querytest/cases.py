"""Test cases of a testConfig.json, read into events and expectations, and the comparison of a case's
outputs with its expectations. Shared by the local run (`runner.py`) and by tests that run the same cases
through the Kafka runtime."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streaming.engine import InputEvent, Plan
from streaming.engine.values import CastError, micros_to_datetime, parse_datetime
from streaming.querytest.compare import unmatched
from streaming.querytest.data_files import read_records
from streaming.querytest.errors import QueryTestError
from streaming.querytest.project import read_json
from streaming.reference_data import FORMATS, ReferenceDataError, parse_reference

ARRIVAL_FIELD = "EventEnqueuedUtcTime"
"""Input records may carry their arrival time under the Event Hubs system property name; without it
a row arrives at its TIMESTAMP BY time, or else at the file's last modified time (see `_event`)."""
PARTITION_FIELD = "PartitionId"


@dataclass(frozen=True)
class Expectation:
    alias: str
    records: list[dict[str, Any]]
    required: bool
    file: str = ""
    """The expected output file's path (the summary's `ExpectedOutput`)."""


@dataclass(frozen=True)
class TestCase:
    """One case: events per input alias (in file order, the order they arrive in) and the expected output records."""

    __test__ = False  # not a pytest test class

    name: str
    inputs: dict[str, list[InputEvent]]
    expected: list[Expectation]
    references: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Rows of each "Reference Data" input, loaded before the streams are processed."""
    reference_files: dict[str, str] = field(default_factory=dict)
    """The file(s) each reference input's rows come from, for errors."""


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
    expected_files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not (self.not_equal or self.missing)

    def summary(self, output_folder: Path | None = None) -> dict[str, Any]:
        """The case in the layout of the real tool's `testResultSummary.json` ("Automate builds, tests,
        and deployments of a Stream Analytics project", Test project): every output as
        `{"OutputAlias", "ExpectedOutput" (expected file), "Output" (actual file)}`; `Details` (what
        differed) is ours."""

        def entries(aliases: list[str], expected: bool = True, actual: bool = True) -> list[dict[str, str]]:
            return [
                {
                    "OutputAlias": alias,
                    "ExpectedOutput": self.expected_files.get(alias, "") if expected else "",
                    "Output": str(output_folder / f"{alias}.json") if actual and output_folder else "",
                }
                for alias in aliases
            ]

        return {
            "Name": self.name,
            "Status": 0 if self.passed else 1,
            "Time": time_span(self.seconds),
            "OutputMatched": entries(self.matched),
            "OutputNotEqual": entries(self.not_equal),
            "OutputMissing": entries(self.missing, actual=False),
            "OutputUnexpected": entries(self.unexpected, expected=False),
            "OutputUnrequired": entries(self.unrequired),
            "Details": self.details,
        }


def time_span(seconds: float) -> str:
    """A duration as .NET prints a TimeSpan (`00:00:01.2345678`), the real tool's `Time`."""
    ticks = round(seconds * 10_000_000)
    whole, fraction = divmod(ticks, 10_000_000)
    minutes, second = divmod(whole, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:02d}:{minute:02d}:{second:02d}.{fraction:07d}"


def load_cases(test_config_path: Path, plan: Plan) -> list[TestCase]:
    """Every case of a testConfig.json, checked against the query's inputs; files named on errors."""
    config = read_json(test_config_path)
    cases = config.get("TestCases") if isinstance(config, dict) else None
    if not isinstance(cases, list):
        raise QueryTestError(f"{test_config_path}: missing list 'TestCases'")
    folder = test_config_path.parent
    return [_case(case, f"TestCases[{index}]", folder, plan) for index, case in enumerate(cases)]


def _case(case: Any, where: str, folder: Path, plan: Plan) -> TestCase:
    name = case.get("Name") if isinstance(case, dict) else None
    if not name:
        raise QueryTestError(f"{where}: missing 'Name'")
    inputs: dict[str, list[InputEvent]] = {}
    references: dict[str, list[dict[str, Any]]] = {}
    files: dict[str, str] = {}
    for position, spec in enumerate(case.get("Inputs", [])):
        here = f"{where}.Inputs[{position}]"
        alias = spec.get("InputAlias")
        kind = spec.get("Type", "Data Stream")
        if kind not in ("Data Stream", "Reference Data"):
            raise QueryTestError(f"{here}: Type must be 'Data Stream' or 'Reference Data', not {kind!r}")
        if kind == "Reference Data":
            reference = plan.reference_named(alias) if isinstance(alias, str) else None
            if reference is None:
                raise QueryTestError(f"{here}: the query joins no reference input {alias!r}")
            if not spec.get("FilePath"):
                raise QueryTestError(f"{here}: missing 'FilePath'")
            path = folder / spec["FilePath"]
            references.setdefault(reference, []).extend(_reference_rows(path, spec, here))
            files[reference] = ", ".join(filter(None, [files.get(reference), str(path)]))
            continue
        if spec.get("Format", "Json") != "Json":
            raise QueryTestError(f"{here}: only Json data stream inputs are supported")
        alias = plan.input_named(alias) if isinstance(alias, str) else None
        if alias is None:
            raise QueryTestError(f"{here}: the query has no input {spec.get('InputAlias')!r}")
        if not spec.get("FilePath"):
            raise QueryTestError(f"{here}: missing 'FilePath'")
        path = folder / spec["FilePath"]
        file_time = _last_modified(path)
        inputs.setdefault(alias, []).extend(
            _event(record, plan.inputs[alias], path, n, file_time)
            for n, record in enumerate(read_records(path))
        )
    expected = []
    for position, spec in enumerate(case.get("ExpectedOutputs", [])):
        alias = spec.get("OutputAlias")
        if not alias or not spec.get("FilePath"):
            raise QueryTestError(f"{where}.ExpectedOutputs[{position}]: needs 'OutputAlias' and 'FilePath'")
        required = spec.get("Required", True)
        records = read_records(folder / spec["FilePath"]) if required else []
        expected.append(
            Expectation(alias, records, bool(required), str((folder / spec["FilePath"]).resolve()))
        )
    return TestCase(name, inputs, expected, references, files)


def _reference_rows(path: Path, spec: dict[str, Any], here: str) -> list[dict[str, Any]]:
    """A reference input's local file, Json or Csv (`Format`, any case), as the blob would be read."""
    fmt = {f.lower(): f for f in FORMATS}.get(str(spec.get("Format", "Json")).lower())
    if fmt is None:
        raise QueryTestError(
            f"{here}: Format {spec.get('Format')!r}; reference data is one of {list(FORMATS)}"
        )
    try:
        return parse_reference(path.read_bytes(), fmt, str(path))
    except OSError as exc:
        raise QueryTestError(f"{here}: {path}: cannot read: {exc}") from exc
    except ReferenceDataError as exc:
        raise QueryTestError(f"{here}: {exc}") from exc


def _last_modified(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError as exc:
        raise QueryTestError(f"{path}: cannot read: {exc}") from exc


def _event(
    record: dict[str, Any], input_step: Any, path: Path, number: int, file_time: datetime
) -> InputEvent:
    """One row of an input file. Rows arrive in file order (the order the ordering policy sees); a row's
    arrival time is its `EventEnqueuedUtcTime` when it has one (an Event Hubs event, a field that
    `SELECT *` then outputs, as the service does for Event Hubs input), else its TIMESTAMP BY time (so
    that sample files are never "late" against the time they were written), else the file's last
    modified time, the arrival time the service gives rows of a blob ("TIMESTAMP BY": "events from
    Blob storage are timestamped by the blob's last modified time")."""
    arrival_text = record.get(ARRIVAL_FIELD)
    try:
        if arrival_text is not None:
            arrival = parse_datetime(str(arrival_text))
        else:
            stamp = input_step.event_times([record], [0])[0] if input_step.timestamp else None
            arrival = file_time if stamp is None else micros_to_datetime(stamp)
    except CastError as exc:
        raise QueryTestError(f"{path}, record {number + 1}: {ARRIVAL_FIELD}: {exc}") from exc
    partition = record.get(PARTITION_FIELD, 0)
    if not isinstance(partition, int):
        raise QueryTestError(f"{path}, record {number + 1}: {PARTITION_FIELD} must be an integer")
    return InputEvent(record, arrival, partition)


def compare_outputs(
    case: TestCase, outputs: dict[str, list[dict[str, Any]]], aliases: tuple[str, ...]
) -> CaseResult:
    """Compare a run's outputs (alias -> payloads, JSON values) with the case's expectations."""
    result = CaseResult(case.name, expected_files={e.alias: e.file for e in case.expected if e.file})
    for expectation in case.expected:
        alias = expectation.alias
        if not expectation.required:
            result.unrequired.append(alias)
            continue
        if alias not in aliases:
            result.missing.append(alias)
            continue
        actual = [json.loads(json.dumps(row)) for row in outputs.get(alias, [])]
        missing, unexpected = unmatched(actual, expectation.records)
        if missing or unexpected:
            result.not_equal.append(alias)
            result.details[alias] = {"ExpectedNotFound": missing, "ActualNotExpected": unexpected}
        else:
            result.matched.append(alias)
    listed = {expectation.alias for expectation in case.expected}
    result.unexpected = [alias for alias in aliases if alias not in listed and outputs.get(alias)]
    return result
