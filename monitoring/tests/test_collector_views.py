"""The collector's inference rows have the record's columns plus `probe` and `role`, and no other."""

from __future__ import annotations

from environments.inference_log import INFERENCE_COLUMNS as RECORD_COLUMNS
from environments.inference_log import PROBE_COLUMN
from monitoring.collector.views import INFERENCE_COLUMNS, inference_record


def test_collector_rows_are_the_record_columns_plus_probe_and_role() -> None:
    assert (*RECORD_COLUMNS, PROBE_COLUMN, "role") == INFERENCE_COLUMNS
    row = {
        "time": "2030-01-01T12:00:00.000000Z",
        "role": "score",
        "properties": {"request_id": "r1", "features": '{"amount": 1.5}', "score": "0.25"},
    }
    record = inference_record(row)
    assert tuple(record) == INFERENCE_COLUMNS
    assert record["features"] == {"amount": 1.5}
    assert record["score"] == 0.25
    assert record[PROBE_COLUMN] is None, "a row of real traffic has no probe marker"
