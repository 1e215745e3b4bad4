"""Golden cases for records and arrays: dot notation, the array and record functions and CROSS APPLY,
from "Parse JSON and Avro data in Azure Stream Analytics" (MicrosoftDocs/azure-docs
articles/stream-analytics/stream-analytics-parsing-json.md: its sample event and queries) and the
reference pages "Array Functions", "GetArrayElements", "GetRecordProperties", "GetRecordPropertyValue"
and "APPLY" (MicrosoftDocs/azure-reference-other)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streaming.engine import ParseError, compile_query
from streaming.tests.test_documented_semantics import run_case

SENSOR = {
    "DeviceId": "12345",
    "Location": {"Lat": 47, "Long": 122},
    "SensorReadings": {"Temperature": 80, "Humidity": 70, "CustomSensor01": 5, "CustomSensor02": 99},
}


def test_dot_notation_reads_nested_fields(tmp_path: Path) -> None:
    """Parsing JSON: "Access nested fields" (`SELECT DeviceID, Location.Lat, Location.Long`)."""
    query = "SELECT DeviceID, Location.Lat, Location.Long FROM input"
    run_case(
        tmp_path, query, {"input": [SENSOR]}, {"output": [{"DeviceID": "12345", "Lat": 47, "Long": 122}]}
    )


def test_cross_apply_get_record_properties(tmp_path: Path) -> None:
    """Parsing JSON: every property of a record as its own event (GetRecordProperties)."""
    query = """
        SELECT event.DeviceID, sensorReading.PropertyName, sensorReading.PropertyValue
        INTO output
        FROM input as event
        CROSS APPLY GetRecordProperties(event.SensorReadings) AS sensorReading
    """
    expected = [
        {"DeviceID": "12345", "PropertyName": name, "PropertyValue": value}
        for name, value in SENSOR["SensorReadings"].items()
    ]
    run_case(tmp_path, query, {"input": [SENSOR]}, {"output": expected})


def test_get_record_property_value_by_path(tmp_path: Path) -> None:
    """ "GetRecordPropertyValue": a property whose name comes from data (here a column)."""
    query = """
        SELECT DeviceId, GetRecordPropertyValue(SensorReadings, SensorName) AS reading,
               GetRecordPropertyValue(event, 'location.lat') AS lat
        FROM input AS event
    """
    row = {**SENSOR, "SensorName": "Humidity"}
    run_case(tmp_path, query, {"input": [row]}, {"output": [{"DeviceId": "12345", "reading": 70, "lat": 47}]})


ARRAYS = [{"id": 1, "arrayField": [10, 20, 30]}, {"id": 2, "arrayField": []}, {"id": 3, "arrayField": None}]


def test_array_functions_reference_examples(tmp_path: Path) -> None:
    """ "Array Functions": `GetArrayElement(arrayField, 0) AS firstElement`, `GetArrayLength(arrayField)`."""
    query = """
        SELECT id, GetArrayElement(arrayField, 0) AS firstElement, GetArrayLength(arrayField) AS arrayLength
        FROM input
    """
    expected = [
        {"id": 1, "firstElement": 10, "arrayLength": 3},
        {"id": 2, "firstElement": None, "arrayLength": 0},
        {"id": 3, "firstElement": None, "arrayLength": None},
    ]
    run_case(tmp_path, query, {"input": ARRAYS}, {"output": expected})


def test_cross_apply_get_array_elements(tmp_path: Path) -> None:
    """ "Array Functions": all array elements as individual events; rows without elements give none."""
    query = """
        SELECT event.id, arrayElement.ArrayIndex, arrayElement.ArrayValue
        FROM input as event
        CROSS APPLY GetArrayElements(event.arrayField) AS arrayElement
        WHERE arrayElement.ArrayValue > 10
    """
    expected = [{"id": 1, "ArrayIndex": 1, "ArrayValue": 20}, {"id": 1, "ArrayIndex": 2, "ArrayValue": 30}]
    run_case(tmp_path, query, {"input": ARRAYS}, {"output": expected})


def test_cross_apply_feeds_a_window_aggregate(tmp_path: Path) -> None:
    query = """
        SELECT COUNT(*) AS elements, SUM(e.ArrayValue) AS total, System.Timestamp() AS window_end
        FROM input TIMESTAMP BY time CROSS APPLY GetArrayElements(arrayField) AS e
        GROUP BY TumblingWindow(second, 10)
    """
    rows = [
        {"time": "2026-11-29T10:00:01Z", "arrayField": [1, 2]},
        {"time": "2026-11-29T10:00:02Z", "arrayField": [3]},
    ]
    expected = [{"elements": 3, "total": 6, "window_end": "2026-11-29T10:00:10.0000000Z"}]
    run_case(tmp_path, query, {"input": rows}, {"output": expected})


def test_outer_apply_is_refused_with_its_position() -> None:
    with pytest.raises(ParseError) as caught:
        compile_query("SELECT * FROM input\nOUTER APPLY GetArrayElements(a) AS e")
    assert (caught.value.line, caught.value.column) == (2, 1)
