"""Export benchmark: collector ingestion, end-to-end export of one hour vs in-process conversion, and
byte-identical re-export. Bounded by the row count; runs the real collector and Azurite."""

from __future__ import annotations

import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from environments.bench_records import bench_record
from environments.data_schema import DataSchema
from environments.standins import start_azurite
from environments.standins.well_known import DEVELOPMENT_IKEY
from export.blob_sink import BlobSink
from export.errors import ExportError
from export.exporter import export_window
from export.parquet_bytes import parquet_bytes
from export.rows import to_rows
from export.schema import export_schema
from export.sources.collector import CollectorSource
from monitoring.collector.process import start_collector

HOUR_START = datetime(2030, 1, 1, 12, tzinfo=UTC)
BATCH = 500


def synthetic_records(schema: DataSchema, rows: int, seed: int = 7) -> list[dict[str, Any]]:
    """Inference records spread over one hour, features drawn inside the contract's ranges."""
    rng = random.Random(seed)
    records = []
    for i in range(rows):
        features: dict[str, Any] = {}
        for f in schema.features:
            if f.type == "category":
                features[f.name] = rng.choice(f.categories or ("x",))
            elif f.type == "boolean":
                features[f.name] = rng.random() < 0.5
            elif f.type == "float":
                features[f.name] = round(rng.uniform(f.min or 0.0, f.max or 1.0), 3)
            else:
                features[f.name] = rng.randint(int(f.min or 0), int(f.max or 1))
        when = HOUR_START + timedelta(microseconds=rng.randrange(3_600_000_000))
        records.append(
            {
                "time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "request_id": f"bench-{i:07d}",
                "model_name": "card-fraud",
                "model_version": "1",
                "deployment": "blue",
                "features": features,
                "score": round(rng.random(), 6),
                "error": None,
                "latency_ms": round(rng.uniform(0.5, 5.0), 3),
            }
        )
    return records


def envelope(record: dict[str, Any]) -> dict[str, Any]:
    """The custom event monitoring.telemetry sends for a record (monitoring/telemetry/README.md)."""
    properties = {k: str(v) for k, v in record.items() if v is not None and k not in ("features", "time")}
    properties["features"] = json.dumps(record["features"], sort_keys=True, separators=(",", ":"))
    properties["time"] = record["time"]
    return {
        "ver": 1,
        "name": "Microsoft.ApplicationInsights.Event",
        "time": record["time"],
        "iKey": DEVELOPMENT_IKEY,
        "tags": {"ai.cloud.role": "bench"},
        "data": {
            "baseType": "EventData",
            "baseData": {"ver": 2, "name": "inference", "properties": properties},
        },
    }


def record_of(
    name: str, value: float, unit: str, baseline: float | None, goal: str, met: bool, **params: Any
) -> dict[str, Any]:
    return bench_record(name, value, unit, baseline, goal, met, params)


def run_bench(schema: DataSchema, rows: int) -> list[dict[str, Any]]:
    records = synthetic_records(schema, rows)
    with tempfile.TemporaryDirectory(prefix="export-bench-") as folder:
        state = Path(folder)
        azurite = start_azurite(state)
        try:
            collector = start_collector(state / "collector", ikey=DEVELOPMENT_IKEY)
            try:
                return _measure(
                    schema, records, collector.url, azurite.connection_string, collector.query_key
                )
            finally:
                collector.stop()
        finally:
            azurite.stop()


def _measure(
    schema: DataSchema, records: list[dict[str, Any]], url: str, blob: str, query_key: str
) -> list[dict[str, Any]]:
    rows = len(records)
    with httpx.Client(timeout=120) as client:
        began = time.perf_counter()
        for i in range(0, rows, BATCH):
            body = json.dumps([envelope(r) for r in records[i : i + BATCH]])
            answer = client.post(
                f"{url}/v2.1/track", content=body, headers={"Content-Type": "application/json"}
            )
            answer.raise_for_status()
        ingest_s = time.perf_counter() - began

    end = HOUR_START + timedelta(hours=1)
    # The baseline is in-process conversion + Parquet of the same records (best of two, warm).
    in_process_s = float("inf")
    for _ in range(2):
        began = time.perf_counter()
        baseline_bytes = parquet_bytes(to_rows(records, schema, HOUR_START, end).rows, export_schema(schema))
        in_process_s = min(in_process_s, time.perf_counter() - began)

    sink = BlobSink.from_connection_string(blob, "bench-inference-data")
    began = time.perf_counter()
    report = export_window(HOUR_START, end, CollectorSource(url, key=query_key), sink, schema)
    export_s = time.perf_counter() - began
    blob_name = report.written[0].blob
    if blob_name is None:
        raise ExportError(f"bench: the export of {rows} records wrote no blob for {HOUR_START:%Y-%m-%dT%H}h")
    first = sink.read(blob_name)
    export_window(HOUR_START, end, CollectorSource(url, key=query_key), sink, schema)
    second = sink.read(blob_name)

    return [
        record_of(
            "collector_ingest",
            rows / ingest_s,
            "envelopes/s",
            None,
            ">= 2000 envelopes/s",
            rows / ingest_s >= 2000,
            rows=rows,
            batch=BATCH,
        ),
        record_of(
            "export_hour_end_to_end",
            rows / export_s,
            "rows/s",
            rows / in_process_s,
            "ratio >= 0.2 of in-process conversion (collector query + Azurite upload cost)",
            (rows / export_s) / (rows / in_process_s) >= 0.2,
            rows=report.rows,
        ),
        record_of(
            "export_rerun_identical",
            float(first == second == baseline_bytes),
            "bool",
            None,
            "re-export and in-process bytes identical",
            first == second == baseline_bytes,
            rows=rows,
        ),
    ]
