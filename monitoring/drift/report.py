"""The drift report: one self-contained HTML page with a distribution plot per feature, and a PNG summary.

Numeric features are drawn as reference and current histograms over the same equal-width bins the
metrics use; categorical and boolean features as bucket proportions side by side. The summary PNG
shows every feature's alerting metric against its threshold. matplotlib runs with the Agg backend.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa

from environments.data_schema import DataSchema
from monitoring.drift.binning import bin_edges, sturges_bins
from monitoring.drift.columns import boolean_counts, category_counts, numeric_values
from monitoring.drift.compute import PREDICTION_COLUMN
from monitoring.drift.records import DriftRecord

REFERENCE_COLOR, CURRENT_COLOR = "#4C72B0", "#DD8452"
SUMMARY_FILE, HTML_FILE = "drift-summary.png", "drift-report.html"


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _numeric_plot(name: str, reference: pa.ChunkedArray, current: pa.ChunkedArray, feature) -> bytes | None:
    ref, _, _ = numeric_values(reference, feature)
    cur, _, _ = numeric_values(current, feature)
    if ref.size == 0 or cur.size == 0:
        return None
    edges = bin_edges(
        float(min(ref.min(), cur.min())), float(max(ref.max(), cur.max())), sturges_bins(ref.size, cur.size)
    )
    figure, axis = plt.subplots(figsize=(5, 2.8))
    axis.hist(
        ref,
        bins=edges.tolist(),
        weights=np.full(ref.size, 1 / ref.size),
        alpha=0.6,
        label="reference",
        color=REFERENCE_COLOR,
    )
    axis.hist(
        cur,
        bins=edges.tolist(),
        weights=np.full(cur.size, 1 / cur.size),
        alpha=0.6,
        label="current",
        color=CURRENT_COLOR,
    )
    axis.set_title(name)
    axis.set_ylabel("share of rows")
    axis.legend()
    return _png(figure)


def _categorical_plot(
    name: str, reference: pa.ChunkedArray, current: pa.ChunkedArray, categories: list[str]
) -> bytes:
    if categories:
        ref, _ = category_counts(reference, categories)
        cur, _ = category_counts(current, categories)
        labels = [*categories, "<unseen>"]
    else:
        ref, _ = boolean_counts(reference)
        cur, _ = boolean_counts(current)
        labels = ["false", "true", "<other>"]
    keep = (ref + cur) > 0
    positions = np.arange(int(keep.sum()))
    figure, axis = plt.subplots(figsize=(5, 2.8))
    axis.bar(positions - 0.2, ref[keep] / max(ref.sum(), 1), 0.4, label="reference", color=REFERENCE_COLOR)
    axis.bar(positions + 0.2, cur[keep] / max(cur.sum(), 1), 0.4, label="current", color=CURRENT_COLOR)
    axis.set_xticks(
        positions, [label for label, k in zip(labels, keep, strict=True) if k], rotation=30, ha="right"
    )
    axis.set_title(name)
    axis.set_ylabel("share of rows")
    axis.legend()
    return _png(figure)


def summary_png(records: list[DriftRecord], alert_metrics: Mapping[str, str]) -> bytes:
    """Bar chart of each feature's alerting metric (numeric / categorical) against its threshold."""
    chosen = [
        r
        for r in records
        if r.kind in ("numeric", "prediction", "categorical")
        and r.metric == alert_metrics["categorical" if r.kind == "categorical" else "numeric"]
    ]
    figure, axis = plt.subplots(figsize=(7, 0.35 * max(len(chosen), 4) + 1))
    colors = ["#C44E52" if r.drifted else "#55A868" for r in chosen]
    axis.barh([f"{r.feature} ({r.metric})" for r in chosen], [r.value for r in chosen], color=colors)
    for index, record in enumerate(chosen):
        if record.threshold is not None:
            axis.plot([record.threshold] * 2, [index - 0.4, index + 0.4], color="black", linewidth=1)
    axis.invert_yaxis()
    axis.set_xlabel("metric value (black: threshold; red: drifted)")
    axis.set_title("Drift per feature")
    return _png(figure)


def write_report(
    folder: Path,
    reference: pa.Table,
    current: pa.Table,
    schema: DataSchema,
    records: list[DriftRecord],
    alert_metrics: Mapping[str, str],
    title: str,
) -> tuple[Path, Path]:
    """Write the HTML report and the summary PNG into `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    summary = summary_png(records, alert_metrics)
    (folder / SUMMARY_FILE).write_bytes(summary)
    sections = []
    features = [*schema.features]
    for feature in features:
        if feature.name not in current.column_names or feature.name not in reference.column_names:
            continue
        ref_column, cur_column = reference.column(feature.name), current.column(feature.name)
        if feature.is_numeric:
            image = _numeric_plot(feature.name, ref_column, cur_column, feature)
        else:
            image = _categorical_plot(feature.name, ref_column, cur_column, list(feature.categories or ()))
        sections.append(_section(feature.name, image, [r for r in records if r.feature == feature.name]))
    if PREDICTION_COLUMN in current.column_names and PREDICTION_COLUMN in reference.column_names:
        image = _numeric_plot(
            PREDICTION_COLUMN, reference.column(PREDICTION_COLUMN), current.column(PREDICTION_COLUMN), None
        )
        sections.append(
            _section(PREDICTION_COLUMN, image, [r for r in records if r.feature == PREDICTION_COLUMN])
        )
    drifted = sorted({r.feature for r in records if r.drifted})
    page = "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 8px}.drift{color:#C44E52;font-weight:bold}</style>",
            "</head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f"<p>Reference rows: {reference.num_rows}; current rows: {current.num_rows}. "
            f"Drifted: {html.escape(', '.join(drifted) or 'none')}.</p>",
            f'<img alt="summary" src="data:image/png;base64,{base64.b64encode(summary).decode()}">',
            *sections,
            "</body></html>",
        ]
    )
    (folder / HTML_FILE).write_text(page + "\n", encoding="utf-8")
    return folder / HTML_FILE, folder / SUMMARY_FILE


def _row(record: DriftRecord) -> str:
    marker = ' class="drift"' if record.drifted else ""
    threshold = "" if record.threshold is None else f"{record.threshold:.6g}"
    return (
        f"<tr{marker}><td>{html.escape(record.metric)}</td><td>{record.value:.6g}</td>"
        f"<td>{threshold}</td><td>{record.drifted}</td></tr>"
    )


def _section(name: str, image: bytes | None, records: list[DriftRecord]) -> str:
    rows = "".join(_row(r) for r in records)
    picture = ""
    if image:
        picture = (
            f'<img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(image).decode()}">'
        )
    return (
        f"<h2>{html.escape(name)}</h2>{picture}"
        f"<table><tr><th>metric</th><th>value</th><th>threshold</th><th>drifted</th></tr>{rows}</table>"
    )
