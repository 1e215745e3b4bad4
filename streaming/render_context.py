"""Values the streaming templates place (ASA project, query, ARM job): aliases, endpoint, blob layout."""

from __future__ import annotations

from typing import Any

from environments.errors import ConfigError
from environments.model import Environment
from environments.naming import resource_names
from streaming import aliases, dead_letter
from streaming.query_checks import id_missing, schema_checks
from streaming.query_test_cases import query_tests

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


AGGREGATE_TEMPLATES = frozenset(
    {
        f"asa/Outputs/{aliases.OUTPUT_CATEGORY_AGGREGATES}.json",
        *(
            f"asa/test/{case}.aggregates.json"
            for case in ("valid-and-invalid", "late-and-out-of-order", "partitions")
        ),
    }
)
"""The files of the aggregate output, left out when the environment names no `aggregate_by`."""


def aggregate_column(env: Environment) -> str | None:
    """The category feature the aggregate groups by, checked against the schema (None: no aggregate).

    A column absent from the events would not fail the query: Stream Analytics reads a missing field as
    NULL ("Input validation in Azure Stream Analytics queries",
    https://learn.microsoft.com/azure/stream-analytics/input-validation), so GROUP BY on it makes one
    NULL group per window, and the local engine does the same. The check here keeps our query from it.
    """
    column = env.stream_analytics.aggregate_by
    if column is None:
        return None
    problem = env.data_schema().category_problem(column)
    if problem:
        raise ConfigError(env.name, [f"{env.name}: stream_analytics.aggregate_by: {problem}"])
    return column


REFERENCE_INPUT_FILE = "reference-data.json"
"""The ASA project's file of the blob reference input (`Inputs/<this>`), rendered only when configured."""
REFERENCE_TEMPLATES = frozenset({f"asa/Inputs/{REFERENCE_INPUT_FILE}"})


def omitted(env: Environment) -> set[str]:
    """Templates not rendered for `env`: the aggregate output's files when it has no aggregate, the
    reference input's when it has no `stream_analytics.reference_data`."""
    left_out = set() if aggregate_column(env) else set(AGGREGATE_TEMPLATES)
    return left_out if env.stream_analytics.reference_data else left_out | REFERENCE_TEMPLATES


def reference_input(env: Environment) -> dict[str, Any] | None:
    """The blob reference input's values for the ASA project file and the ARM job (None: no input).

    Serialization as the two formats spell it: the VS Code project's `{"Type", "Encoding"}` (plus
    `FieldDelimiter` for CSV) and ARM's `{"type", "properties": {"encoding", "fieldDelimiter"}}`; UTF-8 is
    the only encoding reference data supports ("Use reference data for lookups in Stream Analytics").
    """
    reference = env.stream_analytics.reference_data
    if reference is None:
        return None
    csv = reference.serialization == "Csv"
    project = {"Type": reference.serialization, "Encoding": "UTF8"}
    arm: dict[str, Any] = {"encoding": "UTF8"}
    if csv:
        project["FieldDelimiter"] = reference.csv_delimiter
        arm["fieldDelimiter"] = reference.csv_delimiter
    return {
        "alias": reference.alias,
        "container": reference.container,
        "path_pattern": reference.path_pattern,
        "date_format": reference.date_format,
        "time_format": reference.time_format,
        "project_serialization": project,
        "arm_serialization": {"type": reference.serialization, "properties": arm},
    }


def context(env: Environment) -> dict[str, Any]:
    """Template context added to `env`, `names` and `repo_root` for every streaming template."""
    schema = env.data_schema()
    column = aggregate_column(env)
    return {
        "aggregate": {"column": column, "window_minutes": env.stream_analytics.aggregate_window_minutes}
        if column
        else None,
        "reference": reference_input(env),
        "reference_file": REFERENCE_INPUT_FILE,
        "checks": {"id_missing": id_missing(schema), "fields": schema_checks(schema)},
        "query_tests": query_tests(schema, env.stream_analytics, column),
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
