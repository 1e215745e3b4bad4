"""The dashboard's panels for one environment (pure): each panel is one question, asked in KQL of
Application Insights or of an Azure Monitor platform metric, and the same question of the local collector.

KQL reads the telemetry as `monitoring.telemetry` sends it (monitoring/telemetry/README.md): inference
rows are `customEvents` named `inference` (each counts `itemCount` = 1/sampling ratio rows), drift values
are `customMetrics` named `drift_<metric>` with `feature`/`environment` dimensions, mean = sum/valueCount.
Platform metrics by their documented REST names:
- Stream Analytics: https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-streamanalytics-streamingjobs-metrics
  (`OutputWatermarkDelaySeconds`, `InputEventsSourcesBacklogged`; `OutputEvents` split by `LogicalName`,
  the output's name, gives the dead-letter output's count);
- Azure ML online endpoints: https://learn.microsoft.com/azure/machine-learning/monitor-azure-machine-learning-reference
  (`RequestsPerMinute` split by `statusCodeClass`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from environments import stream_aliases as aliases
from environments.model import Environment
from environments.naming import resource_names
from monitoring.render_context import alert_rules

INFERENCE_EVENT = "inference"
BIN = "1m"
ASA_NAMESPACE = "microsoft.streamanalytics/streamingjobs"
ENDPOINT_NAMESPACE = "microsoft.machinelearningservices/workspaces/onlineendpoints"

Local = Literal["throughput", "latency", "invalid", "metric", "drift"]


@dataclass(frozen=True)
class PlatformMetric:
    """An Azure Monitor platform metric of one resource type, aggregated and optionally split."""

    namespace: str
    name: str
    aggregation: Literal["Total", "Average", "Maximum"]
    split_by: str | None = None
    filter_value: str | None = None


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    unit: str
    local: Local
    kql: str | None = None
    metric: PlatformMetric | None = None
    features: tuple[str, ...] = ()
    metric_name: str | None = None  # the collector metric the local panel reads
    threshold: float | None = None
    threshold_kind: Literal["above", "below"] | None = None
    series: tuple[str, ...] = field(default=())


def _inferences(extra: str, summarize: str) -> str:
    return "\n".join(
        line
        for line in (
            "customEvents",
            f'| where name == "{INFERENCE_EVENT}"',
            extra,
            f"| summarize {summarize} by bin(timestamp, {BIN})",
            "| render timechart",
        )
        if line
    )


def _drift_kql(metric_name: str, environment: str, threshold: float) -> str:
    return "\n".join(
        (
            "customMetrics",
            f'| where name == "{metric_name}"',
            f'| where tostring(customDimensions["environment"]) == "{environment}"',
            '| extend feature = tostring(customDimensions["feature"])',
            "| summarize value = sum(value) / sum(valueCount) by bin(timestamp, 1h), feature",
            f"| union (range timestamp from ago(30d) to now() step 1h | extend feature = 'threshold', value = {threshold})",
            "| render timechart",
        )
    )


def dashboard_panels(env: Environment) -> list[Panel]:
    """Every panel of `env`'s dashboard, in page order."""
    names = resource_names(env)
    panels = [
        Panel(
            "throughput",
            "Scoring throughput (rows per minute)",
            "rows/min",
            "throughput",
            kql=_inferences("", "rows = sum(itemCount)"),
        ),
        Panel(
            "latency",
            "Scoring latency (ms, p50 and p95 per minute)",
            "ms",
            "latency",
            kql=_inferences(
                '| extend latency_ms = todouble(customDimensions["latency_ms"])',
                "p50 = percentile(latency_ms, 50), p95 = percentile(latency_ms, 95)",
            ),
            series=("p50", "p95"),
        ),
        Panel(
            "invalid",
            "Rows flagged invalid (rows per minute with an error)",
            "rows/min",
            "invalid",
            kql=_inferences(
                '| where isnotempty(tostring(customDimensions["error"]))', "invalid_rows = sum(itemCount)"
            ),
        ),
        Panel(
            "endpoint_errors",
            f"Endpoint requests by status class ({names.endpoint})",
            "requests/min",
            "metric",
            metric=PlatformMetric(
                ENDPOINT_NAMESPACE, "RequestsPerMinute", "Total", split_by="statusCodeClass"
            ),
            metric_name="RequestsPerMinute",
        ),
        Panel(
            "dead_letter",
            f"Dead-letter events (Stream Analytics output {aliases.OUTPUT_DEADLETTER})",
            "events",
            "metric",
            metric=PlatformMetric(
                ASA_NAMESPACE,
                "OutputEvents",
                "Total",
                split_by="LogicalName",
                filter_value=aliases.OUTPUT_DEADLETTER,
            ),
            metric_name="OutputEvents",
        ),
        Panel(
            "watermark_delay",
            "Stream Analytics watermark delay (s)",
            "s",
            "metric",
            metric=PlatformMetric(ASA_NAMESPACE, "OutputWatermarkDelaySeconds", "Maximum"),
            metric_name="OutputWatermarkDelaySeconds",
        ),
        Panel(
            "backlog",
            "Stream Analytics backlogged input events",
            "events",
            "metric",
            metric=PlatformMetric(ASA_NAMESPACE, "InputEventsSourcesBacklogged", "Maximum"),
            metric_name="InputEventsSourcesBacklogged",
        ),
    ]
    for rule in alert_rules(env):
        panels.append(
            Panel(
                f"drift_{rule['group']}",
                f"Drift: {rule['metric']} of each {rule['group']} feature against its threshold "
                f"({'below' if rule['operator'] == 'LessThan' else 'above'} {rule['threshold']} alerts)",
                rule["metric"],
                "drift",
                kql=_drift_kql(rule["metric_name"], env.name, rule["threshold"]),
                features=tuple(rule["features"]),
                metric_name=rule["metric_name"],
                threshold=float(rule["threshold"]),
                threshold_kind="below" if rule["operator"] == "LessThan" else "above",
            )
        )
    return panels
