"""Window splitting, record -> row conversion, schema and deterministic Parquet (pure logic)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from environments.loader import load_environment
from export.errors import ExportConfigError
from export.parquet_bytes import parquet_bytes
from export.query_text import inference_query
from export.rows import to_row, to_rows
from export.schema import export_schema
from export.targets import azure_target, local_target, resolve_env_ref
from export.windows import hours_touched, parse_instant

SCHEMA = load_environment("local").data_schema()


def t(text: str) -> datetime:
    return parse_instant(text, "test")


def test_a_window_is_widened_to_the_whole_hours_it_touches() -> None:
    hours = hours_touched(t("2026-11-29T08:30:00Z"), t("2026-11-29T10:00:00Z"))
    assert [h.blob_name for h in hours] == [
        "2026/11/29/08/part-0000.parquet",
        "2026/11/29/09/part-0000.parquet",
    ]
    assert [h.start.hour for h in hours_touched(t("2026-11-29T23:59:00"), t("2026-11-30T00:00:01"))] == [
        23,
        0,
    ]


def test_overlapping_windows_share_their_hours() -> None:
    first = hours_touched(t("2026-11-29T08:30:00Z"), t("2026-11-29T09:15:00Z"))
    second = hours_touched(t("2026-11-29T09:10:00Z"), t("2026-11-29T10:50:00Z"))
    assert set(first) & set(second) == {first[-1]}


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("2026-11-29T10:00Z", "2026-11-29T10:00Z", "not after its start"),
        ("2020-01-01", "2026-01-01", "longer than"),
    ],
)
def test_bad_windows_are_named(start: str, end: str, reason: str) -> None:
    with pytest.raises(ExportConfigError, match=reason):
        hours_touched(t(start), t(end))


def test_offsets_are_converted_to_utc() -> None:
    assert t("2026-11-29T10:30:00+02:00") == datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
    with pytest.raises(ExportConfigError, match="--from='noon'"):
        parse_instant("noon", "--from")


def test_features_are_typed_as_in_the_contract_whatever_the_source_shape() -> None:
    kql_row = {
        "time": "2026-11-29T10:00:00.1234567Z",
        "request_id": "r",
        "model_name": "m",
        "model_version": "1",
        "deployment": "",
        "features": '{"amount": "12.5", "hour_of_day": 7.0, "card_present": "false", "channel": 3, "txn_count_24h": 1.5}',
        "score": 0.5,
        "error": "",
        "latency_ms": None,
    }
    row = to_row(kql_row, SCHEMA)
    assert row["time"] == datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)
    assert (row["amount"], row["hour_of_day"], row["card_present"], row["channel"]) == (12.5, 7, False, "3")
    assert row["txn_count_24h"] is None and row["customer_age"] is None
    assert (row["deployment"], row["error"], row["latency_ms"]) == (None, None, None)


def test_rows_keep_the_hour_drop_resends_and_sort_stably() -> None:
    start, end = t("2026-11-29T10:00Z"), t("2026-11-29T11:00Z")
    records = [
        {"time": "2026-11-29T10:30:00Z", "request_id": "b", "features": {}},
        {"time": "2026-11-29T10:30:00Z", "request_id": "a", "features": {}},
        {"time": "2026-11-29T10:30:00Z", "request_id": "a", "features": {}},
        {"time": "2026-11-29T11:00:00Z", "request_id": "next-hour", "features": {}},
        {"time": "2026-11-29T10:40:00Z", "features": {}},
    ]
    conversion = to_rows(records, SCHEMA, start, end)
    assert [r["request_id"] for r in conversion.rows] == ["a", "b"]
    assert conversion.duplicates == 1
    assert conversion.skipped == ["record 4: request_id is missing"]


def test_probe_records_are_left_out_as_the_kql_leaves_them_out() -> None:
    start, end = t("2026-11-29T10:00Z"), t("2026-11-29T11:00Z")
    records = [
        {"time": "2026-11-29T10:30:00Z", "request_id": "real", "features": {}, "probe": None},
        {"time": "2026-11-29T10:30:00Z", "request_id": "empty", "features": {}, "probe": ""},
        {"time": "2026-11-29T10:31:00Z", "request_id": "smoke-1", "features": {}, "probe": "smoke"},
        {"time": "2026-11-29T10:32:00Z", "request_id": "smoke-2", "features": {}, "probe": "smoke"},
    ]
    conversion = to_rows(records, SCHEMA, start, end)
    assert [r["request_id"] for r in conversion.rows] == ["empty", "real"]
    assert conversion.probes == 2 and conversion.skipped == []
    assert "probe" not in export_schema(SCHEMA).names


def test_the_kql_leaves_out_probe_records_before_projecting() -> None:
    query = inference_query()
    assert 'isempty(tostring(customDimensions["probe"]))' in query
    inferences = query.index('| where name == "inference"')
    assert inferences < query.index('customDimensions["probe"]') < query.index("| project", inferences)


def test_parquet_bytes_are_deterministic_and_typed() -> None:
    schema = export_schema(SCHEMA)
    rows = to_rows(
        [{"time": "2026-11-29T10:00:00Z", "request_id": "a", "features": {"amount": 1}, "score": 0.1}],
        SCHEMA,
        t("2026-11-29T10:00Z"),
        t("2026-11-29T11:00Z"),
    ).rows
    first = parquet_bytes(rows, schema)
    assert parquet_bytes(rows, schema) == first
    table = pq.read_table(io.BytesIO(first))
    assert table.schema.field("amount").type == pa.float64()
    assert table.schema.field("customer_age").type == pa.int64()
    assert table.schema.field("card_present").type == pa.bool_()
    assert table.schema.field("channel").type == pa.string()
    assert table.schema.names[:5] == ["time", "request_id", "model_name", "model_version", "deployment"]
    assert table.schema.names[-3:] == ["score", "error", "latency_ms"]


def test_local_target_defaults_to_the_local_ports() -> None:
    env = load_environment("local")
    target = local_target(env, environ={})
    assert target.collector_url == f"http://127.0.0.1:{env.local.collector_port}"
    assert f"127.0.0.1:{env.local.azurite_blob_port}" in target.blob_connection_string
    assert target.container == env.storage.inference_container


def test_azure_target_needs_the_subscription_variable() -> None:
    env = load_environment("dev")
    with pytest.raises(ExportConfigError, match="AZURE_SUBSCRIPTION_ID is not set"):
        azure_target(env, environ={})
    sub = "11111111-2222-3333-4444-555555555555"
    target = azure_target(env, environ={"AZURE_SUBSCRIPTION_ID": sub})
    assert target.app_insights_resource_id.startswith(f"/subscriptions/{sub}/resourceGroups/")
    assert target.app_insights_resource_id.endswith(
        "/providers/Microsoft.Insights/components/sscore-dev-appi"
    )
    assert resolve_env_ref("literal", "k", {}) == "literal"
