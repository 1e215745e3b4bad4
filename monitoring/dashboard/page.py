"""The local dashboard page: one self-contained HTML file, one inline SVG plot per panel (matplotlib, Agg).

A panel without rows in the time range says so in place of its plot (`class="no-data"`), naming what it
looked for, rather than drawing an empty chart.
"""

from __future__ import annotations

import html
import io
from datetime import datetime

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from monitoring.dashboard.panels import Panel
from monitoring.dashboard.series import Series

THRESHOLD_COLOR = "#C44E52"


def _svg(panel: Panel, series: Series) -> str:
    figure, axis = plt.subplots(figsize=(7, 2.8))
    for name, points in series.items():
        times = [t for t, _ in points]
        values = [v for _, v in points]
        # matplotlib's annotations leave out datetimes, which its date converter plots
        axis.plot(times, values, marker="o", markersize=3, linewidth=1.2, label=name)  # type: ignore[arg-type]
    if panel.threshold is not None:
        axis.axhline(
            panel.threshold,
            color=THRESHOLD_COLOR,
            linestyle="--",
            label=f"threshold ({panel.threshold_kind})",
        )
    axis.set_ylabel(panel.unit)
    axis.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M"))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="upper left", ncols=4)
    figure.autofmt_xdate()
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):  # text stays text: searchable, and a smaller page
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: the SVG is inline


def _source(panel: Panel) -> str:
    if panel.kql:
        return (
            f"<details><summary>KQL (Azure workbook)</summary><pre>{html.escape(panel.kql)}</pre></details>"
        )
    assert panel.metric is not None
    split = f", split by {panel.metric.split_by}" if panel.metric.split_by else ""
    only = f" = {panel.metric.filter_value}" if panel.metric.filter_value else ""
    return (
        f"<p class='source'>Azure Monitor metric {html.escape(panel.metric.namespace)} "
        f"{html.escape(panel.metric.name)} ({panel.metric.aggregation}{html.escape(split + only)})</p>"
    )


def _section(panel: Panel, series: Series, looked_for: str) -> str:
    has_points = any(points for points in series.values())
    body = (
        _svg(panel, series)
        if has_points
        else f"<p class='no-data'>no data in the time range: {html.escape(looked_for)}</p>"
    )
    return (
        f"<section class='panel' id='panel-{panel.key}' data-plotted='{str(has_points).lower()}'>"
        f"<h2>{html.escape(panel.title)}</h2>{body}{_source(panel)}</section>"
    )


def render_page(
    title: str,
    start: datetime,
    end: datetime,
    panels: list[tuple[Panel, Series, str]],
) -> str:
    """The whole page: (panel, its series, what the collector was asked for) in order."""
    sections = "\n".join(_section(panel, series, looked_for) for panel, series, looked_for in panels)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
.panel {{ border: 1px solid #ddd; padding: 0.5em 1em; margin-bottom: 1em; }}
.panel svg {{ max-width: 100%; height: auto; }}
.no-data {{ color: #777; font-style: italic; }}
pre {{ background: #f6f6f6; padding: 0.5em; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>From the local collector, {start.isoformat()} to {end.isoformat()} (the same panels as the Azure Monitor workbook).</p>
{sections}
<script>
// How many plots the browser laid out (width and height > 0): read back by the page test.
const drawn = [...document.querySelectorAll(".panel svg")].filter((svg) => {{
  const box = svg.getBoundingClientRect();
  return box.width > 0 && box.height > 0;
}});
document.body.dataset.drawnPlots = String(drawn.length);
</script>
</body></html>
"""
