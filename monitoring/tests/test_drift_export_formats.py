"""The drift component reads both export layouts: the Python exporter's Parquet and the Logic App's hourly
JSON records (`records.json`: the KQL's columns, `features` as a JSON string), into the same columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from environments.loader import load_environment
from monitoring.drift import compute_drift
from monitoring.drift.component import inference_files, main, read_export_file, read_window
from monitoring.drift.errors import DriftInputError
from monitoring.drift.files import read_table
from monitoring.testing import drift_test_table

ROWS = 400
HOUR = datetime(2026, 11, 29, 10, tzinfo=UTC)
ALERT_METRICS = {"numeric": "normalized_wasserstein_distance", "categorical": "jensen_shannon_distance"}


@pytest.fixture(scope="module")
def schema():
    return load_environment("local").data_schema()


def _export_table(schema, hour: datetime, seed: int) -> pa.Table:
    """One hour as the Python exporter writes it (export/README.md), with a few unscored rows."""
    scored = drift_test_table(schema, ROWS, seed=seed)
    times = [hour + timedelta(seconds=3600 * i / ROWS, microseconds=7) for i in range(ROWS)]
    bad = {i for i in range(0, ROWS, 97)}
    columns = {
        "time": pa.array(times, type=pa.timestamp("us", tz="UTC")),
        "request_id": pa.array([f"r-{seed}-{i:05d}" for i in range(ROWS)]),
        "model_name": pa.array(["card-fraud"] * ROWS),
        "model_version": pa.array(["3"] * ROWS),
        "deployment": pa.array(["blue"] * ROWS),
    }
    for feature in schema.features:
        values = scored.column(feature.name).to_pylist()
        columns[feature.name] = pa.array(
            [None if i in bad else v for i, v in enumerate(values)], type=scored.column(feature.name).type
        )
    scores = scored.column("score").to_pylist()
    columns["score"] = pa.array([None if i in bad else s for i, s in enumerate(scores)], type=pa.float64())
    columns["error"] = pa.array(["amount: missing" if i in bad else None for i in range(ROWS)])
    columns["latency_ms"] = pa.array([1.5] * ROWS)
    return pa.table(columns)


def _write_parquet(table: pa.Table, root: Path, hour: datetime) -> Path:
    path = root / hour.strftime("%Y/%m/%d/%H") / "part-0000.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def _write_records_json(table: pa.Table, schema, root: Path, hour: datetime) -> Path:
    """The same rows as the Logic App writes them: the KQL's columns, as Log Analytics returns them."""
    records = []
    for row in table.to_pylist():
        features = {f.name: row[f.name] for f in schema.features if row[f.name] is not None}
        records.append(
            {
                # Log Analytics gives 7 fraction digits; tostring() of a missing value is "".
                "time": row["time"].strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
                "request_id": row["request_id"],
                "model_name": row["model_name"],
                "model_version": row["model_version"],
                "deployment": row["deployment"],
                "features": json.dumps(features, sort_keys=True, separators=(",", ":")),
                "score": row["score"],
                "error": row["error"] or "",
                "latency_ms": row["latency_ms"],
            }
        )
    path = root / hour.strftime("%Y/%m/%d/%H") / "records.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_json_records_read_as_the_same_columns_and_values_as_parquet(tmp_path: Path, schema) -> None:
    table = _export_table(schema, HOUR, seed=2)
    from_parquet = read_table(_write_parquet(table, tmp_path / "parquet", HOUR))
    from_json = read_export_file(_write_records_json(table, schema, tmp_path / "json", HOUR), schema)
    assert from_json.schema == from_parquet.schema
    assert from_json.to_pylist() == from_parquet.to_pylist()
    assert from_json.column("amount").null_count > 0 and from_json.column("error").null_count < ROWS


def test_drift_is_the_same_whichever_layout_an_hour_came_in(tmp_path: Path, schema) -> None:
    baseline = drift_test_table(schema, 2000, seed=1)
    table = _export_table(schema, HOUR, seed=2)
    _write_parquet(table, tmp_path / "parquet", HOUR)
    _write_records_json(table, schema, tmp_path / "json", HOUR)
    end = HOUR + timedelta(hours=1)
    records = [
        [r.to_json() for r in compute_drift(baseline, read_window(root, HOUR, end, schema), schema)]
        for root in (tmp_path / "parquet", tmp_path / "json")
    ]
    assert records[0] == records[1]
    assert any(r["feature"] == "score" for r in records[1])  # prediction drift from the JSON hour too


def test_a_window_mixes_parquet_and_json_hours_and_never_reads_an_hour_twice(tmp_path: Path, schema) -> None:
    root = tmp_path / "data"
    first, second = HOUR, HOUR + timedelta(hours=1)
    _write_parquet(_export_table(schema, first, seed=2), root, first)
    _write_records_json(_export_table(schema, second, seed=3), schema, root, second)
    # The same hour in both layouts (the Logic App and a backfill): the Parquet is read, once.
    _write_records_json(_export_table(schema, first, seed=2), schema, root, first)
    files = inference_files(root, first, second + timedelta(hours=1))
    assert [f.name for f in files] == ["part-0000.parquet", "records.json"]
    window = read_window(root, first, second + timedelta(hours=1), schema)
    assert window.num_rows == 2 * ROWS
    assert len(set(window.column("request_id").to_pylist())) == 2 * ROWS


def test_the_connector_body_shape_and_misfit_values_are_read(tmp_path: Path, schema) -> None:
    path = tmp_path / "records.json"
    record = {"time": "2026-11-29T10:00:00.1234567Z", "request_id": "a", "model_name": "m"}
    body = [
        record | {"features": {"amount": 3.5, "hour_of_day": 4}, "score": 0.1},
        record | {"features": '{"amount": "lots", "hour_of_day": 4.5}', "score": None, "error": "bad"},
    ]
    path.write_text(json.dumps({"value": body}), encoding="utf-8")
    table = read_export_file(path, schema)
    assert table.column("time").to_pylist()[0] == datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)
    assert table.column("amount").to_pylist() == ["3.5", "lots"]  # text: counted as a type error
    assert table.column("hour_of_day").type == pa.float64()  # a fraction where an integer belongs
    assert table.column("model_version").to_pylist() == [None, None]
    assert table.column("error").to_pylist() == [None, "bad"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "cannot read as JSON records"),
        ('{"rows": []}', "expected a JSON array of records"),
        ("[1]", "record 0 is int, expected an object"),
        ('[{"request_id": "a"}]', "record 0 has no time"),
        ('[{"time": "2026-11-29T10:00:00Z", "features": "{oops"}]', "features are not JSON"),
    ],
)
def test_bad_json_records_name_the_file_and_the_problem(
    tmp_path: Path, schema, text: str, message: str
) -> None:
    path = tmp_path / "records.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DriftInputError, match=message) as caught:
        read_export_file(path, schema)
    assert str(path) in str(caught.value)


def test_the_component_runs_on_logic_app_records(tmp_path: Path, schema, monkeypatch) -> None:
    monkeypatch.delenv("APPLICATIONINSIGHTS_CONNECTION_STRING", raising=False)
    env = load_environment("local")
    root = tmp_path / "inference-data"
    _write_records_json(_export_table(schema, HOUR, seed=2), schema, root, HOUR)
    baseline = tmp_path / "baseline.parquet"
    pq.write_table(drift_test_table(schema, 2000, seed=1), baseline)
    report = tmp_path / "report"
    argv = ["--inference-data", str(root), "--baseline", str(baseline), "--schema", str(_schema_path(env))]
    argv += ["--environment", "local", "--model-name", "card-fraud"]
    argv += ["--thresholds", json.dumps(env.monitoring.drift.model_dump())]
    argv += ["--alert-metrics", json.dumps(ALERT_METRICS)]
    argv += ["--window-start", HOUR.isoformat(), "--window-end", (HOUR + timedelta(hours=1)).isoformat()]
    assert main([*argv, "--report", str(report)]) == 0
    metrics = json.loads((report / "drift-metrics.json").read_text(encoding="utf-8"))
    assert {m["version"] for m in metrics} == {"3"}
    assert {"amount", "merchant_category", "score"} <= {m["feature"] for m in metrics}


def _schema_path(env) -> Path:
    return env.data.schema_path()
