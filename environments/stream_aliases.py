"""The Stream Analytics job's input, output and function aliases: the query, the ASA project, the ARM job,
the local runtime and the monitoring dashboard (its dead-letter panel) all name them."""

from __future__ import annotations

INPUT_TRANSACTIONS = "transactions"
"""The Event Hubs input of the events to score (records of the data schema)."""

OUTPUT_SCORED_EVENTHUB = "scored-eventhub"
"""Scored events for downstream consumers (an Event Hub)."""

OUTPUT_SCORED_BLOB = "scored-blob"
"""Scored events archived to blob storage."""

OUTPUT_DEADLETTER = "deadletter"
"""Events that failed the basic checks, written to blob storage before any function call."""

OUTPUT_CATEGORY_AGGREGATES = "category-aggregates"
"""The tumbling-window aggregate of scores per category of `stream_analytics.aggregate_by`; an environment
without that setting has no such output."""

FUNCTION_SCORE = "score"
"""The Azure ML function (the scoring endpoint), called as `udf.score(...)`."""

INPUTS = (INPUT_TRANSACTIONS,)
OUTPUTS = (OUTPUT_SCORED_EVENTHUB, OUTPUT_SCORED_BLOB, OUTPUT_DEADLETTER, OUTPUT_CATEGORY_AGGREGATES)
FUNCTIONS = (FUNCTION_SCORE,)
