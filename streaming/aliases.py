"""The Stream Analytics job's aliases, as the streaming domain names them (owner: `environments.stream_aliases`)."""

from __future__ import annotations

from environments.stream_aliases import (
    FUNCTION_SCORE,
    FUNCTIONS,
    INPUT_TRANSACTIONS,
    INPUTS,
    OUTPUT_CATEGORY_AGGREGATES,
    OUTPUT_DEADLETTER,
    OUTPUT_SCORED_BLOB,
    OUTPUT_SCORED_EVENTHUB,
    OUTPUTS,
)

__all__ = [
    "FUNCTIONS",
    "FUNCTION_SCORE",
    "INPUTS",
    "INPUT_TRANSACTIONS",
    "OUTPUTS",
    "OUTPUT_CATEGORY_AGGREGATES",
    "OUTPUT_DEADLETTER",
    "OUTPUT_SCORED_BLOB",
    "OUTPUT_SCORED_EVENTHUB",
]
