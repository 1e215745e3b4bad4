"""Values the streaming templates place (ASA project, query, ARM job): aliases, endpoint, blob layout."""

from __future__ import annotations

from typing import Any

from environments.model import Environment
from environments.naming import resource_names
from streaming import aliases, dead_letter

QUERY_FILE = "scoring.asaql"
"""The query file of the rendered ASA project (the project's `startFile`)."""

BLOB_PATH_PATTERN = "{date}/{time}"
"""Blob output path pattern (ASA tokens `{date}`, `{time}`), under a per-output prefix."""
BLOB_DATE_FORMAT = "yyyy/MM/dd"
BLOB_TIME_FORMAT = "HH"

SCORING_INPUT_NAME = "data"
"""Contract (docs/contracts.md, Scoring endpoint): `{"Inputs": {"data": [...]}}` -> `{"Results": [...]}`."""
SCORING_INPUT_REQUEST_NAME = "Inputs"
SCORING_OUTPUT_RESPONSE_NAME = "Results"
SCORING_OUTPUT_NAME = "Results"


def scoring_endpoint(env: Environment) -> str:
    """The scoring URI: the local azmlinfsrv stand-in, or the managed online endpoint's regional URI."""
    if env.local is not None:
        return f"http://127.0.0.1:{env.local.endpoint_port}/score"
    return f"https://{resource_names(env).endpoint}.{env.location}.inference.ml.azure.com/score"


def context(env: Environment) -> dict[str, Any]:
    """Template context added to `env`, `names` and `repo_root` for every streaming template."""
    return {
        "aliases": {
            "input": aliases.INPUT_TRANSACTIONS,
            "scored_eventhub": aliases.OUTPUT_SCORED_EVENTHUB,
            "scored_blob": aliases.OUTPUT_SCORED_BLOB,
            "deadletter": aliases.OUTPUT_DEADLETTER,
            "category_aggregates": aliases.OUTPUT_CATEGORY_AGGREGATES,
            "function": aliases.FUNCTION_SCORE,
        },
        "dead_letter": {"rejection": dead_letter.REJECTION},
        "asa": {
            "query_file": QUERY_FILE,
            "scoring_endpoint": scoring_endpoint(env),
            "scoring_input_name": SCORING_INPUT_NAME,
            "scoring_input_request_name": SCORING_INPUT_REQUEST_NAME,
            "scoring_output_name": SCORING_OUTPUT_NAME,
            "scoring_output_response_name": SCORING_OUTPUT_RESPONSE_NAME,
            "blob_path_pattern": BLOB_PATH_PATTERN,
            "blob_date_format": BLOB_DATE_FORMAT,
            "blob_time_format": BLOB_TIME_FORMAT,
        },
    }
