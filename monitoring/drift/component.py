"""The drift pipeline's command (Azure ML command component `drift`; locally run as a subprocess).

    python -m monitoring.drift.component --inference-data DIR --baseline FILE_OR_DIR --schema S.yml
        --environment E --model-name M --thresholds JSON --alert-metrics JSON
        [--window-start T --window-end T | --window-hours N] --report DIR

Reads the exported records of every hour of the window and the training baseline (a Parquet file, or a model folder holding `baseline.parquet`), computes every drift
metric per served model version, sends each as the custom metric `drift_<metric>` with dimensions
feature, model, version, environment through `monitoring.telemetry`, and writes `drift-metrics.json`,
`drift-report.html` and `drift-summary.png` into the report folder. Rows outside the window are dropped.

An hour folder `DIR/{yyyy}/{MM}/{dd}/{HH}/` holds the Python exporter's Parquet (`*.parquet`) or the
Logic App's JSON records (`*.json`, see `json_records.py`); both give the same columns. When an hour has
both, the Parquet is read and the JSON ignored (they hold the same hour; reading both would count each
row twice).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from environments.data_schema import DataSchema, load_data_schema
from environments.errors import ConfigError
from monitoring.drift.compute import compute_drift
from monitoring.drift.errors import DriftError, DriftInputError
from monitoring.drift.files import read_table, write_records
from monitoring.drift.json_records import read_records_json
from monitoring.drift.records import DriftRecord
from monitoring.drift.report import write_report
from monitoring.drift.window import default_window, hour_prefix, parse_time, window_hours

LOG = logging.getLogger("streamscore.monitoring.drift")
BASELINE_FILE = "baseline.parquet"
METRICS_FILE = "drift-metrics.json"
ROLE_NAME = "drift"
TIME_COLUMN, MODEL_COLUMN, VERSION_COLUMN = "time", "model_name", "model_version"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring.drift.component", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--inference-data", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--schema", type=Path, required=True)
    parser.add_argument("--environment", required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--thresholds", required=True, help="JSON object: metric -> threshold")
    parser.add_argument("--alert-metrics", required=True, help='JSON {"numeric": m, "categorical": m}')
    parser.add_argument("--window-start", default="", help="ISO-8601; empty: the last --window-hours hours")
    parser.add_argument("--window-end", default="")
    parser.add_argument("--window-hours", type=int, default=24)
    parser.add_argument("--report", type=Path, required=True)
    return parser


def inference_files(root: Path, start: datetime, end: datetime) -> list[Path]:
    """The export files of every hour folder of the window, in time order: an hour's Parquet files, or
    its JSON records when it has no Parquet."""
    files: list[Path] = []
    for hour in window_hours(start, end):
        folder = root / hour_prefix(hour)
        files.extend(sorted(folder.glob("*.parquet")) or sorted(folder.glob("*.json")))
    return files


def read_export_file(path: Path, schema: DataSchema) -> pa.Table:
    """One export file: Parquet, or the Logic App's JSON records."""
    return read_records_json(path, schema) if path.suffix.lower() == ".json" else read_table(path)


def read_window(root: Path, start: datetime, end: datetime, schema: DataSchema) -> pa.Table | None:
    """The inference rows of `[start, end)`, or None when the window holds none."""
    files = inference_files(root, start, end)
    if not files:
        return None
    tables = [read_export_file(f, schema) for f in files]
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        listed = ", ".join(
            f"{f} ({t.schema})" for f, t in zip(files, tables, strict=True) if t.schema != tables[0].schema
        )
        raise DriftInputError(
            f"the window's files have incompatible columns: {exc}; differing: {listed}"
        ) from exc
    if TIME_COLUMN in table.column_names:
        times = table.column(TIME_COLUMN)
        if not pa.types.is_timestamp(times.type):
            raise DriftInputError(f"{files[0]}: column {TIME_COLUMN!r} is {times.type}, expected a timestamp")
        keep = pc.and_(
            pc.greater_equal(times, pa.scalar(start, type=times.type)),
            pc.less(times, pa.scalar(end, type=times.type)),
        )
        table = table.filter(keep)
    return table if table.num_rows else None


def read_baseline(path: Path) -> pa.Table:
    """The training baseline: a Parquet file, or a model folder that carries `baseline.parquet`."""
    if path.is_dir() and (path / BASELINE_FILE).is_file():
        path = path / BASELINE_FILE
    return read_table(path)


def versions(table: pa.Table, model_name: str) -> list[tuple[str, str, pa.Table]]:
    """(model, version, rows) per served model version; one group when the data names no version."""
    if VERSION_COLUMN not in table.column_names:
        return [(model_name, "unknown", table)]
    groups = []
    for version in sorted(v for v in pc.unique(table.column(VERSION_COLUMN)).to_pylist() if v is not None):
        rows = table.filter(pc.equal(table.column(VERSION_COLUMN), version))
        name = model_name
        if MODEL_COLUMN in rows.column_names and rows.num_rows:
            name = rows.column(MODEL_COLUMN)[0].as_py() or model_name
        groups.append((name, str(version), rows))
    return groups


def send_metrics(records: list[DriftRecord], dimensions: dict[str, str]) -> bool:
    """Every record as custom metric `drift_<metric>`; False when telemetry is off."""
    from monitoring.drift.secret_settings import job_identity, read_secret, resolve_secret_settings
    from monitoring.telemetry import configure_telemetry

    # On Azure the job's definition names the connection string's Key Vault secret, not its value.
    resolve_secret_settings(os.environ, lambda uri: read_secret(uri, job_identity()))
    telemetry = configure_telemetry(ROLE_NAME)
    if not telemetry.enabled:
        LOG.warning("drift: telemetry is off; metrics are only written to the report folder")
        return False
    for record in records:
        telemetry.emit_metric(
            f"drift_{record.metric}", record.value, {"feature": record.feature, **dimensions}
        )
    telemetry.flush()
    return True


def run(args: argparse.Namespace) -> int:
    schema = load_data_schema(args.schema)
    thresholds = json.loads(args.thresholds)
    alert_metrics = json.loads(args.alert_metrics)
    if args.window_start and args.window_end:
        start, end = (
            parse_time(args.window_start, "--window-start"),
            parse_time(args.window_end, "--window-end"),
        )
    else:
        start, end = default_window(datetime.now(UTC), args.window_hours)
    LOG.info("drift: window [%s, %s) of %s", start.isoformat(), end.isoformat(), args.inference_data)
    current = read_window(args.inference_data, start, end, schema)
    args.report.mkdir(parents=True, exist_ok=True)
    if current is None:
        LOG.warning("drift: no inference rows in the window; nothing to compare")
        write_records([], args.report / METRICS_FILE)
        return 0
    baseline = read_baseline(args.baseline)
    everything: list[dict] = []
    for model, version, rows in versions(current, args.model_name):
        records = compute_drift(baseline, rows, schema, thresholds)
        dimensions = {"model": model, "version": version, "environment": args.environment}
        sent = send_metrics(records, dimensions)
        drifted = sorted({r.feature for r in records if r.drifted})
        LOG.info(
            "drift: %s v%s: %d rows, %d metrics%s; drifted: %s",
            model,
            version,
            rows.num_rows,
            len(records),
            " sent" if sent else "",
            ", ".join(drifted) or "none",
        )
        everything.extend({**r.to_json(), "model": model, "version": version} for r in records)
        title = f"Drift of {model} version {version} in {args.environment}, {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
        write_report(
            args.report / f"{model}-{version}", baseline, rows, schema, records, alert_metrics, title
        )
    (args.report / METRICS_FILE).write_text(
        json.dumps(everything, indent=1, allow_nan=False) + "\n", encoding="utf-8"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except (DriftError, ConfigError, json.JSONDecodeError, OSError) as exc:
        print(f"drift component: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
