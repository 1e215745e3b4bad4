"""Golden cases for the semantics a query's answer depends on, each from the documentation it cites:
column names match case-insensitively, rows of a local file get an arrival time, and the rows of one
file arrive in file order for the event-ordering policy. Run the way a user runs them:
`python -m streaming test` on a project (`streaming.querytest.run_tests`)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from streaming.querytest import run_tests
from streaming.querytest.data_files import read_records
from streaming.testing import write_query_project


def run_case(
    tmp_path: Path,
    query: str,
    inputs: dict[str, list[dict[str, Any]]],
    expected: dict[str, list[dict[str, Any]]],
    job_config: dict[str, Any] | None = None,
    file_time: datetime | None = None,
    references: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Run the one-case project; assert it passed (showing the actual outputs if not)."""
    project = write_query_project(tmp_path / "project", query, inputs, expected, job_config, references)
    if file_time is not None:
        for alias in inputs:
            stamp = file_time.timestamp()
            os.utime(project.parent / "test" / f"in-{alias}.json", (stamp, stamp))
    run = run_tests(project, output_dir=tmp_path / "out")
    actual = {
        alias: read_records(tmp_path / "out" / "documented_example" / f"{alias}.json") for alias in expected
    }
    assert run.passed, json.dumps({"actual": actual, "summary": run.summary()}, indent=1)[:3000]
    return actual


# -- names: "Compatibility level for Azure Stream Analytics jobs" (1.1: the case of field names is kept)
# and the query language's own samples, which spell names differently from the data (Azure/azure-stream-
# analytics Samples/OnnxExample/ASAUDF/onnx-example.asaql reads `TripData.vendorId` from field `VendorID`).
READINGS = [
    {"DeviceId": "d1", "temperature": 30, "Reading": {"value": 3}},
    {"DeviceId": "d2", "temperature": 20, "Reading": {"value": 4}},
]


def test_a_column_spelled_differently_from_the_field_reads_it_and_keeps_the_query_spelling(
    tmp_path: Path,
) -> None:
    run_case(
        tmp_path,
        "SELECT DeviceID, Temperature, reading.VALUE AS v INTO out FROM input WHERE Temperature > 27",
        {"input": READINGS},
        {"out": [{"DeviceID": "d1", "Temperature": 30, "v": 3}]},
    )


def test_select_star_keeps_the_inputs_own_names(tmp_path: Path) -> None:
    run_case(
        tmp_path,
        "SELECT * INTO out FROM input WHERE TEMPERATURE > 27",
        {"input": READINGS},
        {"out": [READINGS[0]]},
    )


def test_aliases_and_step_columns_match_ignoring_case(tmp_path: Path) -> None:
    query = """
        WITH Renamed AS (SELECT deviceid AS Device, TEMPERATURE AS Temp FROM input)
        SELECT device, temp AS t INTO out FROM renamed WHERE TEMP > 27
    """
    run_case(tmp_path, query, {"input": READINGS}, {"out": [{"device": "d1", "t": 30}]})


def test_group_by_keys_match_ignoring_case(tmp_path: Path) -> None:
    rows = [
        {"DeviceId": "d1", "time": "2026-11-29T10:00:01Z"},
        {"DeviceId": "d1", "time": "2026-11-29T10:00:02Z"},
        {"DeviceId": "d2", "time": "2026-11-29T10:00:03Z"},
    ]
    query = """
        SELECT deviceid, COUNT(*) AS n INTO out FROM input TIMESTAMP BY Time
        GROUP BY DeviceID, TumblingWindow(second, 10)
    """
    run_case(
        tmp_path, query, {"input": rows}, {"out": [{"deviceid": "d1", "n": 2}, {"deviceid": "d2", "n": 1}]}
    )


# -- arrival time of a local file's rows: "TIMESTAMP BY" (query language reference): without TIMESTAMP BY,
# "events from Blob storage are timestamped by the blob's last modified time"; System.Timestamp()
# ("System.Timestamp()"): "If a TIMESTAMP BY clause is not specified for a given input, arrival time of
# the event is used as a timestamp".
FILE_TIME = datetime(2026, 11, 29, 10, 0, 7, tzinfo=UTC)


def test_rows_without_an_arrival_time_arrive_at_the_files_last_modified_time(tmp_path: Path) -> None:
    rows = [{"DeviceId": "d1", "temperature": 30}, {"DeviceId": "d2", "temperature": 20}]
    run_case(
        tmp_path,
        """
        SELECT *, System.Timestamp() AS t INTO rows FROM input
        SELECT COUNT(*) AS n, System.Timestamp() AS window_end INTO counts FROM input
        GROUP BY TumblingWindow(second, 10)
        """,
        {"input": rows},
        {
            "rows": [{**row, "t": "2026-11-29T10:00:07.0000000Z"} for row in rows],
            "counts": [{"n": 2, "window_end": "2026-11-29T10:00:10.0000000Z"}],
        },
        file_time=FILE_TIME,
    )


def test_select_star_outputs_exactly_the_files_fields(tmp_path: Path) -> None:
    """No arrival-time field is added to rows that have none (the documented samples' inputs)."""
    run_case(tmp_path, "SELECT * INTO out FROM input", {"input": READINGS}, {"out": READINGS})


# -- file order and the ordering policy: "Configuring event ordering policies" (event-ordering.md):
# an event whose time is below the watermark (max event time - out-of-order tolerance) is adjusted to it
# or dropped; "Tumbling window" (windows are (end - size, end], one row per window at its end).
OUT_OF_ORDER = [{"key": "a", "time": "2026-11-29T00:00:12Z"}, {"key": "a", "time": "2026-11-29T00:00:08Z"}]
COUNT_QUERY = """
    SELECT key, COUNT(*) AS n, System.Timestamp() AS window_end INTO out
    FROM input TIMESTAMP BY time GROUP BY key, TumblingWindow(second, 10)
"""


@pytest.mark.parametrize(("policy", "count"), [("Adjust", 2), ("Drop", 1)])
def test_rows_of_a_file_arrive_in_file_order_for_the_out_of_order_policy(
    tmp_path: Path, policy: str, count: int
) -> None:
    run_case(
        tmp_path,
        COUNT_QUERY,
        {"input": OUT_OF_ORDER},
        {"out": [{"key": "a", "n": count, "window_end": "2026-11-29T00:00:20.0000000Z"}]},
        {"EventsOutOfOrderMaxDelayInSeconds": 0, "EventsOutOfOrderPolicy": policy},
    )


def test_a_tolerance_wide_enough_keeps_the_early_row_in_its_own_window(tmp_path: Path) -> None:
    run_case(
        tmp_path,
        COUNT_QUERY,
        {"input": OUT_OF_ORDER},
        {
            "out": [
                {"key": "a", "n": 1, "window_end": "2026-11-29T00:00:10.0000000Z"},
                {"key": "a", "n": 1, "window_end": "2026-11-29T00:00:20.0000000Z"},
            ]
        },
        {"EventsOutOfOrderMaxDelayInSeconds": 5, "EventsOutOfOrderPolicy": "Drop"},
    )


def test_an_input_alias_matches_the_query_ignoring_case(tmp_path: Path) -> None:
    """The query's `FROM Input` reads the test input named `input`, as the service matches aliases."""
    run_case(
        tmp_path,
        "SELECT DeviceId INTO out FROM Input",
        {"input": READINGS[:1]},
        {"out": [{"DeviceId": "d1"}]},
    )


def test_an_exact_name_wins_over_a_name_differing_in_case(tmp_path: Path) -> None:
    query = """
        WITH s AS (SELECT temperature AS X, DeviceId AS x FROM input)
        SELECT X AS upper, x AS lower INTO out FROM s
    """
    run_case(tmp_path, query, {"input": READINGS[:1]}, {"out": [{"upper": 30, "lower": "d1"}]})
