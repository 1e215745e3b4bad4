"""Golden cases of the reference-data JOIN, from "Use reference data for lookups in Stream Analytics"
(MicrosoftDocs/azure-docs articles/stream-analytics/stream-analytics-use-reference-data.md: its
registration query) and the reference pages "Reference Data JOIN" and "JOIN" (MicrosoftDocs/
azure-reference-other), with inputs written for the query since the article gives none. The reference
rows come from a "Reference Data" input of testConfig.json, as in the real tool's test configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from streaming.engine import PlanError, compile_query
from streaming.tests.test_documented_semantics import run_case

TOLLS = [
    {"EntryTime": "2026-11-29T10:00:01Z", "LicensePlate": "JNB 7001", "TollId": 1},
    {"EntryTime": "2026-11-29T10:00:02Z", "LicensePlate": "YXZ 1001", "TollId": 1},
    {"EntryTime": "2026-11-29T10:00:03Z", "LicensePlate": "ABC 1004", "TollId": 2},
]
REGISTRATION = [
    {"LicensePlate": "JNB 7001", "RegistrationId": "R-1", "Expired": "0"},
    {"LicensePlate": "YXZ 1001", "RegistrationId": "R-2", "Expired": "1"},
]


def test_reference_join_registration_example(tmp_path: Path) -> None:
    """The article's query: vehicles whose registration has expired."""
    query = """
        SELECT I1.EntryTime, I1.LicensePlate, I1.TollId, R.RegistrationId
        FROM Input1 I1 TIMESTAMP BY EntryTime
        JOIN Registration R
        ON I1.LicensePlate = R.LicensePlate
        WHERE R.Expired = '1'
    """
    expected = [
        {"EntryTime": TOLLS[1]["EntryTime"], "LicensePlate": "YXZ 1001", "TollId": 1, "RegistrationId": "R-2"}
    ]
    run_case(
        tmp_path, query, {"Input1": TOLLS}, {"output": expected}, references={"Registration": REGISTRATION}
    )


def test_left_join_keeps_events_without_a_match(tmp_path: Path) -> None:
    """ "JOIN": LEFT OUTER JOIN keeps every left event, with NULL for the reference's columns."""
    query = """
        SELECT i.LicensePlate, r.RegistrationId, System.Timestamp() AS t
        FROM input i TIMESTAMP BY EntryTime
        LEFT OUTER JOIN registration r ON r.LicensePlate = i.LicensePlate
    """
    expected = [
        {"LicensePlate": "JNB 7001", "RegistrationId": "R-1", "t": "2026-11-29T10:00:01.0000000Z"},
        {"LicensePlate": "YXZ 1001", "RegistrationId": "R-2", "t": "2026-11-29T10:00:02.0000000Z"},
        {"LicensePlate": "ABC 1004", "RegistrationId": None, "t": "2026-11-29T10:00:03.0000000Z"},
    ]
    run_case(
        tmp_path, query, {"input": TOLLS}, {"output": expected}, references={"registration": REGISTRATION}
    )


def test_select_star_of_a_join_keeps_the_streams_value_on_a_name_clash(tmp_path: Path) -> None:
    """ "SELECT": with `*`, when names clash the leftmost one wins."""
    query = "SELECT * FROM input i JOIN ref r ON i.LicensePlate = r.LicensePlate AND r.Expired = '0'"
    reference = [{"LicensePlate": "JNB 7001", "TollId": 99, "Expired": "0"}]
    expected = [{**TOLLS[0], "Expired": "0"}]
    run_case(tmp_path, query, {"input": TOLLS}, {"output": expected}, references={"ref": reference})


def test_join_feeds_a_window_aggregate(tmp_path: Path) -> None:
    query = """
        SELECT r.RegistrationId, COUNT(*) AS passes
        FROM input i TIMESTAMP BY EntryTime JOIN ref r ON i.LicensePlate = r.LicensePlate
        GROUP BY r.RegistrationId, TumblingWindow(minute, 1)
    """
    expected = [{"RegistrationId": "R-1", "passes": 1}, {"RegistrationId": "R-2", "passes": 1}]
    run_case(tmp_path, query, {"input": TOLLS}, {"output": expected}, references={"ref": REGISTRATION})


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT a.x INTO o FROM a LEFT JOIN b ON a.x > b.y", "needs an equality"),
        ("SELECT a.x INTO o FROM a LEFT JOIN b ON a.x = b.y AND b.z = 1", "only equalities"),
        ("SELECT a.x INTO o FROM a RIGHT JOIN b ON a.x = b.y", "JOIN is not supported"),
    ],
)
def test_unsupported_joins_are_refused_with_their_position(query: str, message: str) -> None:
    with pytest.raises(Exception, match=message) as caught:
        compile_query(query)
    assert caught.value.line == 1 and caught.value.column > 1
    assert isinstance(caught.value, PlanError) or "not supported" in str(caught.value)


def test_an_input_read_as_a_stream_and_as_reference_data_is_refused() -> None:
    with pytest.raises(PlanError, match="both as a stream and as reference data") as caught:
        compile_query("SELECT a.x INTO o FROM a JOIN b ON a.k = b.k\nSELECT * INTO p FROM b")
    assert (caught.value.line, caught.value.column) == (2, 22)


def test_published_vs_code_reference_project(tmp_path: Path) -> None:
    """A published VS Code project with a reference input (AndreasHassing/ASAVsCodeReferenceDataIssueRepro:
    ASATest.asaql, SampleData/input.json, SampleData/referenceInput.json): its query, data and names as
    published. The ON keys and the filter name the reference columns in another case (`sensorId`,
    `enabled` for `SensorId`, `Enabled`), and `enabled = 1` compares a JSON true (bit) with 1. The
    project has no expected output; the rows here are the two enabled D1 readings above 27."""
    query = """
        SELECT Input.* INTO Output
        FROM Input JOIN ReferenceInput ON Input.sensorId = ReferenceInput.sensorId
        WHERE ReferenceInput.enabled = 1 AND Input.Temperature > 27
    """
    readings = [("D1", 38), ("D1", 14), ("D2", 50), ("D1", 28), ("D1", -30)]
    rows = [{"sensorId": sensor, "Temperature": value} for sensor, value in readings]
    reference = [{"SensorId": "D1", "Enabled": True}, {"SensorId": "D2", "Enabled": False}]
    run_case(
        tmp_path,
        query,
        {"Input": rows},
        {"Output": [rows[0], rows[3]]},
        references={"ReferenceInput": reference},
    )
