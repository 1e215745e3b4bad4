"""Golden cases for records and arrays: dot notation, the array and record functions and CROSS APPLY,
from "Parse JSON and Avro data in Azure Stream Analytics" (MicrosoftDocs/azure-docs
articles/stream-analytics/stream-analytics-parsing-json.md: its sample event and queries) and the
reference pages "Array Functions", "GetArrayElements", "GetRecordProperties", "GetRecordPropertyValue"
and "APPLY" (MicrosoftDocs/azure-reference-other)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streaming.engine import ParseError, QueryError, compile_query
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


# -- The article's later sample event (with SensorMetadata nested, then as an array) and its queries.
EVENT = {
    **SENSOR,
    "SensorReadings": {
        **SENSOR["SensorReadings"],
        "SensorMetadata": {"Manufacturer": "ABC", "Version": "1.2.45"},
    },
}
THRESHOLDS = [
    {"DeviceId": "12345", "SensorName": "Temperature", "Value": 85},
    {"DeviceId": "12345", "SensorName": "Humidity", "Value": 65},
]


def test_dot_notation_on_three_levels_and_a_record_star(tmp_path: Path) -> None:
    """Parsing JSON: "Access nested fields in known schema" (`SensorReadings.SensorMetadata.Version`) and
    "Select all properties" (`Location.*`)."""
    query = """
        SELECT DeviceID, Location.Lat, Location.Long, SensorReadings.Temperature,
            SensorReadings.SensorMetadata.Version
        INTO dotted FROM input
        SELECT DeviceID, Location.* INTO starred FROM input
    """
    expected = {
        "dotted": [{"DeviceID": "12345", "Lat": 47, "Long": 122, "Temperature": 80, "Version": "1.2.45"}],
        "starred": [{"DeviceID": "12345", "Lat": 47, "Long": 122}],
    }
    run_case(tmp_path, query, {"input": [EVENT]}, expected)


THRESHOLD_QUERY = """
    SELECT input.DeviceID, thresholds.SensorName, {message} AS AlertMessage
    FROM input JOIN thresholds ON input.DeviceId = thresholds.DeviceId
    WHERE GetRecordPropertyValue(input.SensorReadings, thresholds.SensorName) > thresholds.Value
"""
ALERT = [{"DeviceID": "12345", "SensorName": "Humidity", "AlertMessage": "Alert : Sensor above threshold"}]


def test_property_name_from_reference_data(tmp_path: Path) -> None:
    """Parsing JSON: "Access nested fields when property name is a variable" (a reference JOIN, then
    GetRecordPropertyValue with the reference row's sensor name), with the text in single quotes."""
    query = THRESHOLD_QUERY.format(message="'Alert : Sensor above threshold'")
    run_case(tmp_path, query, {"input": [EVENT]}, {"output": ALERT}, references={"thresholds": THRESHOLDS})


def test_double_quotes_in_the_articles_query_name_a_column(tmp_path: Path) -> None:
    """The article writes its text as "Alert : Sensor above threshold" (double quotes) and shows it as the
    value. Double quotes name a column in Stream Analytics: a maintainer answered a user comparing
    `x="sum"` that "the sum is a column reference since double quotes are used. It should be x = 'sum'"
    (MicrosoftDocs/azure-reference-other issue #108, on the HAVING page). The event has no such field,
    so the value is NULL; the article's output needs single quotes (the test above)."""
    query = THRESHOLD_QUERY.format(message='"Alert : Sensor above threshold"')
    expected = [{**ALERT[0], "AlertMessage": None}]
    run_case(tmp_path, query, {"input": [EVENT]}, {"output": expected}, references={"thresholds": THRESHOLDS})


def test_record_properties_routed_through_a_with_step(tmp_path: Path) -> None:
    """Parsing JSON: "Convert record fields into separate events", routed with WITH to two outputs."""
    query = """
        WITH Stage0 AS (
            SELECT event.DeviceID, sensorReading.PropertyName, sensorReading.PropertyValue
            FROM input as event
            CROSS APPLY GetRecordProperties(event.SensorReadings) AS sensorReading
        )
        SELECT DeviceID, PropertyValue AS Temperature INTO TemperatureOutput FROM Stage0 WHERE PropertyName = 'Temperature'
        SELECT DeviceID, PropertyValue AS Humidity INTO HumidityOutput FROM Stage0 WHERE PropertyName = 'Humidity'
    """
    expected = {
        "TemperatureOutput": [{"DeviceID": "12345", "Temperature": 80}],
        "HumidityOutput": [{"DeviceID": "12345", "Humidity": 70}],
    }
    run_case(tmp_path, query, {"input": [EVENT]}, expected)


ARRAY_EVENT = {
    "DeviceId": "12345",
    "SensorReadings": {**SENSOR["SensorReadings"], "CustomSensor03": [12, -5, 0]},
    "SensorMetadata": [
        {"smKey": "Manufacturer", "smValue": "ABC"},
        {"smKey": "Version", "smValue": "1.2.45"},
    ],
}


def test_array_data_types_examples(tmp_path: Path) -> None:
    """Parsing JSON, "Array data types": the first element (12), the length (3), the elements as events
    and a property of record elements (`SensorMetadataRecords.ArrayValue.smKey`)."""
    query = """
        SELECT GetArrayElement(SensorReadings.CustomSensor03, 0) AS firstElement,
            GetArrayLength(SensorReadings.CustomSensor03) AS arrayLength
        INTO first FROM input
        SELECT DeviceId, CustomSensor03Record.ArrayIndex, CustomSensor03Record.ArrayValue
        INTO elements FROM input
        CROSS APPLY GetArrayElements(SensorReadings.CustomSensor03) AS CustomSensor03Record
        SELECT i.DeviceId, SensorMetadataRecords.ArrayValue.smKey as smKey,
            SensorMetadataRecords.ArrayValue.smValue as smValue
        INTO metadata FROM input i
        CROSS APPLY GetArrayElements(SensorMetadata) AS SensorMetadataRecords
    """
    expected = {
        "first": [{"firstElement": 12, "arrayLength": 3}],
        "elements": [
            {"DeviceId": "12345", "ArrayIndex": i, "ArrayValue": v} for i, v in enumerate([12, -5, 0])
        ],
        "metadata": [
            {"DeviceId": "12345", "smKey": "Manufacturer", "smValue": "ABC"},
            {"DeviceId": "12345", "smKey": "Version", "smValue": "1.2.45"},
        ],
    }
    run_case(tmp_path, query, {"input": [ARRAY_EVENT]}, expected)


def test_pivot_with_two_left_joins_stays_refused_at_its_position() -> None:
    """Parsing JSON: the pivot example joins one input with a step twice in one FROM; a second JOIN in a
    FROM is refused (one JOIN per FROM) at its position."""
    query = (
        "WITH DynamicCTE AS (SELECT i.DeviceId, R.ArrayValue.smKey as smKey, R.ArrayValue.smValue as smValue\n"
        "    FROM input i CROSS APPLY GetArrayElements(SensorMetadata) AS R)\n"
        "SELECT i.DeviceId, V.smValue AS smVersion, M.smValue AS smManufacturer\n"
        "FROM input i\n"
        "LEFT JOIN DynamicCTE V ON V.smKey = 'Version' and V.DeviceId = i.DeviceId AND DATEDIFF(minute,i,V) BETWEEN 0 AND 0\n"
        "LEFT JOIN DynamicCTE M ON M.smKey = 'Manufacturer' and M.DeviceId = i.DeviceId AND DATEDIFF(minute,i,M) BETWEEN 0 AND 0"
    )
    with pytest.raises(QueryError) as caught:
        compile_query(query)
    assert caught.value.line == 6


def test_a_record_star_through_the_source_alias(tmp_path: Path) -> None:
    """Parsing JSON's pivot example selects `i.Location.*` (a record of the aliased input); deeper paths
    work the same way."""
    query = """
        SELECT i.DeviceId, i.Location.*, i.SensorReadings.SensorMetadata.* INTO output FROM input i
    """
    expected = [{"DeviceId": "12345", "Lat": 47, "Long": 122, "Manufacturer": "ABC", "Version": "1.2.45"}]
    run_case(tmp_path, query, {"input": [EVENT]}, {"output": expected})
