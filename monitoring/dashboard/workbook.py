"""The Azure Monitor workbook's content (`serializedData`) from the dashboard panels (pure).

Item shapes as the workbook gallery template schema writes them
(https://github.com/microsoft/Application-Insights-Workbooks, `schema/workbook.json`): a KQL query item is
type 3 (`KqlItem/1.0`) over the Application Insights resource; a platform metric chart is type 10
(`MetricsItem/2.0`) over the Stream Analytics job or the online endpoint. Resource ids are ARM
expressions the template's `string(variables('workbook'))` resolves at deployment.
"""

from __future__ import annotations

from typing import Any

from monitoring.dashboard.panels import ENDPOINT_NAMESPACE, Panel

WORKBOOK_VERSION = "Notebook/1.0"
WORKBOOK_SCHEMA = (
    "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json"
)
DAY_MS = 24 * 3600 * 1000
# Azure Monitor metric aggregation codes in MetricsItem/2.0.
AGGREGATIONS = {"Total": 1, "Average": 4, "Maximum": 3}
TIMECHART = 2


def _kql_item(panel: Panel) -> dict[str, Any]:
    return {
        "type": 3,
        "name": panel.key,
        "content": {
            "version": "KqlItem/1.0",
            "title": panel.title,
            "query": panel.kql,
            "size": 0,
            "queryType": 0,
            "resourceType": "microsoft.insights/components",
            "visualization": "timechart",
            "timeContext": {"durationMs": DAY_MS},
        },
    }


def _metric_item(panel: Panel, asa_id: str, endpoint_id: str) -> dict[str, Any]:
    metric = panel.metric
    assert metric is not None, panel.key
    resource = endpoint_id if metric.namespace == ENDPOINT_NAMESPACE else asa_id
    entry: dict[str, Any] = {
        "namespace": metric.namespace,
        "metric": f"{metric.namespace}--{metric.name}",
        "aggregation": AGGREGATIONS[metric.aggregation],
    }
    if metric.split_by:
        entry["splitBy"] = metric.split_by
    content: dict[str, Any] = {
        "version": "MetricsItem/2.0",
        "title": panel.title,
        "size": 0,
        "chartType": TIMECHART,
        "resourceType": metric.namespace,
        "metricScope": 0,
        "resourceIds": [resource],
        "timeContext": {"durationMs": DAY_MS},
        "metrics": [entry],
    }
    if metric.filter_value is not None:
        content["filters"] = [{"key": metric.split_by, "operator": 0, "values": [metric.filter_value]}]
    return {"type": 10, "name": panel.key, "content": content}


def workbook_content(
    panels: list[Panel], app_insights_id: str, asa_id: str, endpoint_id: str
) -> dict[str, Any]:
    """The workbook document: a heading, then one chart per panel in order."""
    items: list[dict[str, Any]] = [
        {
            "type": 1,
            "name": "heading",
            "content": {
                "json": "## Scoring, stream and drift\nThe same panels as `python -m monitoring dashboard local`."
            },
        }
    ]
    for panel in panels:
        items.append(_metric_item(panel, asa_id, endpoint_id) if panel.metric else _kql_item(panel))
    return {
        "version": WORKBOOK_VERSION,
        "items": items,
        "fallbackResourceIds": [app_insights_id],
        "$schema": WORKBOOK_SCHEMA,
    }
