"""Reference data as the service reads it: versions by time, JSON or CSV files, and bad data refused.

"Use reference data for lookups in Stream Analytics" (MicrosoftDocs/azure-docs articles/stream-analytics/
stream-analytics-use-reference-data.md, Generate reference data on a schedule): blobs form a sequence
ordered by the date/time in their names; the job keeps the previous reference data until it finds the
next blob, and reprocessing past data uses the reference data of that time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streaming.engine import (
    Engine,
    EngineError,
    EventOrdering,
    ExecutionError,
    InputEvent,
    compile_query,
    records,
)
from streaming.querytest import QueryTestError, run_tests
from streaming.reference_data import ReferenceDataError, parse_reference
from streaming.testing import write_query_project

QUERY = """
    SELECT i.plate, r.owner
    INTO output
    FROM input i TIMESTAMP BY t
    JOIN registration r ON i.plate = r.plate
"""


def _at(minute: int) -> datetime:
    return datetime(2026, 11, 29, 10, minute, tzinfo=UTC)


def _event(minute: int, plate: str) -> InputEvent:
    return InputEvent({"t": _at(minute).isoformat(), "plate": plate}, _at(minute), 0)


def _engine() -> Engine:
    return Engine(compile_query(QUERY), EventOrdering(5, 0, "Adjust"))


def test_each_event_joins_the_snapshot_valid_at_its_time() -> None:
    """Snapshot 1 from the start, snapshot 2 valid from 10:30: an event of 10:29 still sees owner A
    (also when it is read after snapshot 2 was loaded, as a backlog is), one of 10:31 sees owner B."""
    engine = _engine()
    engine.load_reference("registration", [{"plate": "P1", "owner": "A"}], source="ref/10-00.json")
    engine.load_reference("registration", [{"plate": "P1", "owner": "B"}], _at(30), "ref/10-30.json")
    events = [_event(29, "P1"), _event(31, "P1"), _event(40, "P2")]
    rows = [r.payload for r in records(engine.process("input", events) + engine.flush())]
    assert rows == [{"plate": "P1", "owner": "A"}, {"plate": "P1", "owner": "B"}]


def test_snapshots_only_go_forward() -> None:
    engine = _engine()
    engine.load_reference("registration", [{"plate": "P1", "owner": "B"}], _at(30), "ref/10-30.json")
    with pytest.raises(EngineError, match=r"ref/10-25\.json.*not after.*ref/10-30\.json"):
        engine.load_reference("registration", [{"plate": "P1", "owner": "C"}], _at(25), "ref/10-25.json")


def test_a_row_without_the_join_key_fails_naming_file_and_row() -> None:
    """Never a silent empty join: a reference row lacking the ON key property is an error."""
    engine = _engine()
    rows = [{"plate": "P1", "owner": "A"}, {"Plate_number": "P2", "owner": "B"}]
    with pytest.raises(ExecutionError, match=r"registration: ref/x\.json, row 2 has no 'plate'"):
        engine.load_reference("registration", rows, source="ref/x.json")


def test_key_names_match_case_insensitively() -> None:
    engine = _engine()
    engine.load_reference("registration", [{"PLATE": "P1", "owner": "A"}])
    rows = [r.payload for r in records(engine.process("input", [_event(1, "P1")]) + engine.flush())]
    assert rows == [{"plate": "P1", "owner": "A"}]


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b'{"plate": "P1"}\n{"plate": ', "Json", r"ref\.json, line 2: not JSON"),
        (b'[{"plate": "P1"}, 3]', "Json", r"ref\.json: element 2 is not a JSON object"),
        (b"plate,owner\nP1\n", "Csv", r"ref\.json, line 2: 1 values, the header has 2"),
        (b"", "Json", r"ref\.json: empty"),
        (b"plate,owner\n", "Csv", r"ref\.json: a header and no rows"),
        (b"\xff\xfe", "Json", r"ref\.json: not UTF-8"),
    ],
)
def test_unreadable_reference_data_names_the_file_and_line(data: bytes, fmt: str, message: str) -> None:
    with pytest.raises(ReferenceDataError, match=message):
        parse_reference(data, fmt, "ref.json")  # type: ignore[arg-type]


def test_csv_values_are_text() -> None:
    assert parse_reference(b"plate,seats\nP1,4\n", "Csv", "ref.csv") == [{"plate": "P1", "seats": "4"}]


def _project(tmp_path: Path, reference_file: str, content: str, fmt: str) -> Path:
    asaproj = write_query_project(
        tmp_path / "p",
        QUERY,
        {"input": [{"t": "2026-11-29T10:00:01Z", "plate": "P1"}]},
        {"output": [{"plate": "P1", "owner": "A"}]},
        references={"registration": []},
    )
    test = asaproj.parent / "test"
    (test / reference_file).write_text(content, encoding="utf-8")
    config = json.loads((test / "testConfig.json").read_text())
    for spec in config["TestCases"][0]["Inputs"]:
        if spec["Type"] == "Reference Data":
            spec.update(FilePath=reference_file, Format=fmt)
    (test / "testConfig.json").write_text(json.dumps(config))
    return asaproj


def test_query_test_reads_a_csv_reference_file(tmp_path: Path) -> None:
    asaproj = _project(tmp_path, "registration.csv", "plate,owner\nP1,A\nP2,B\n", "Csv")
    run = run_tests(asaproj, asaproj.parent / "test" / "testConfig.json", tmp_path / "out")
    assert run.passed and len(run.cases) == 1


def test_query_test_refuses_a_reference_file_without_the_key(tmp_path: Path) -> None:
    asaproj = _project(tmp_path, "registration.csv", "plates,owner\nP1,A\n", "Csv")
    with pytest.raises(QueryTestError, match=r"registration\.csv, row 1 has no 'plate'"):
        run_tests(asaproj, asaproj.parent / "test" / "testConfig.json", tmp_path / "out")


def test_snapshots_no_row_can_reach_are_released() -> None:
    """Memory stays bounded: once the watermark is past a snapshot's successor, the snapshot goes."""
    engine = _engine()
    engine.load_reference("registration", [{"plate": "P1", "owner": "A"}], source="first")
    engine.load_reference("registration", [{"plate": "P1", "owner": "B"}], _at(30), "second")
    rows = records(engine.process("input", [_event(40, "P1"), _event(41, "P1")]))
    engine.load_reference("registration", [{"plate": "P1", "owner": "C"}], _at(50), "third")
    assert [s.source for s in engine.references["registration"]] == ["second", "third"]
    rows += records(engine.process("input", [_event(45, "P1"), _event(55, "P1")]) + engine.flush())
    assert [r.payload["owner"] for r in rows] == ["B", "B", "B", "C"]


def test_query_test_names_a_case_without_the_reference_input(tmp_path: Path) -> None:
    asaproj = _project(tmp_path, "registration.json", '{"plate": "P1", "owner": "A"}\n', "Json")
    config_path = asaproj.parent / "test" / "testConfig.json"
    config = json.loads(config_path.read_text())
    config["TestCases"][0]["Inputs"] = [
        i for i in config["TestCases"][0]["Inputs"] if i["Type"] != "Reference Data"
    ]
    config_path.write_text(json.dumps(config))
    with pytest.raises(QueryTestError, match=r"JOINs reference input 'registration'; give the case an input"):
        run_tests(asaproj, config_path, tmp_path / "out")
