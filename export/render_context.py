"""Values the export templates place: the one KQL file, names and the Logic App's schedule."""

from __future__ import annotations

import math
from typing import Any

from environments.model import Environment
from environments.naming import resource_names
from export.query_text import inference_query

INGESTION_DELAY_MINUTES = 15
"""Application Insights ingestion latency allowance: an hour is exported once it ended this long ago."""
LOGIC_APP_BLOB_NAME = "records.json"
"""The Logic App writes the KQL result as JSON (Logic Apps has no Parquet writer) beside the Parquet part."""


def context(env: Environment) -> dict[str, Any]:
    names = resource_names(env)
    interval = env.monitoring.export_interval_minutes
    return {
        "export": {
            "query": inference_query(),
            "logic_app": f"{names.base}-export",
            "logs_connection": f"{names.base}-export-logs",
            "blob_connection": f"{names.base}-export-blob",
            "interval_minutes": interval,
            # Every run rewrites the whole hours its interval covers, so no hour is skipped or split.
            "hours_per_run": max(1, math.ceil(interval / 60)),
            "ingestion_delay_minutes": INGESTION_DELAY_MINUTES,
            "blob_name": LOGIC_APP_BLOB_NAME,
        }
    }
