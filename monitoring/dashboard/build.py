"""Ask the collector each panel's question and lay the answers out as the page (collector -> series -> HTML)."""

from __future__ import annotations

from datetime import datetime

from environments.model import Environment
from monitoring.dashboard import series
from monitoring.dashboard.collector_source import CollectorSource
from monitoring.dashboard.page import render_page
from monitoring.dashboard.panels import Panel, dashboard_panels


def _answer(
    panel: Panel, source: CollectorSource, inferences: list[dict], env: Environment
) -> tuple[series.Series, str]:
    if panel.local == "throughput":
        return series.throughput(inferences), "inference events (GET /query/inferences)"
    if panel.local == "latency":
        return series.latency(inferences), "inference events with latency_ms"
    if panel.local == "invalid":
        return series.throughput(inferences, only_errors=True), "inference events with an error"
    rows = source.metric(panel, env.name)
    asked = f"metric {panel.metric_name} (GET /query/metrics)"
    if panel.local == "drift":
        return series.drift(
            rows, panel.features
        ), f"{asked} of {env.name}, features {', '.join(panel.features)}"
    return series.platform_metric(rows, panel), asked


def dashboard_html(env: Environment, collector_url: str, start: datetime, end: datetime) -> str:
    source = CollectorSource(collector_url, start, end)
    inferences = source.inferences()
    answered = []
    for panel in dashboard_panels(env):
        points, asked = _answer(panel, source, inferences, env)
        answered.append((panel, points, asked))
    return render_page(f"streamscore dashboard: {env.model.name} ({env.name})", start, end, answered)
