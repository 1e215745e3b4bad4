"""The export query projects exactly the inference record's columns (environments.inference_log)."""

from __future__ import annotations

import re

from environments.inference_log import INFERENCE_COLUMNS, LIVE_FIELD, TRAFFIC_EVENT_NAME
from export.query_text import COLUMNS, inference_query


def _projected(query: str) -> tuple[str, ...]:
    """The columns the inference events are projected to (the traffic history's projection comes first)."""
    body = query.split('| where name == "inference"', 1)[1].split("| project", 1)[1].split("\n|", 1)[0]
    return tuple(re.findall(r"^\s*([A-Za-z_]+)\s*=", body, flags=re.MULTILINE))


def _output(query: str) -> tuple[str, ...]:
    """The columns of the query's last projection: what the Logic App writes and the exporter reads."""
    last = query.rsplit("\n| project ", 1)[1].split("\n", 1)[0]
    return tuple(name.strip() for name in last.split(","))


def test_export_query_projects_the_record_columns_in_order() -> None:
    assert COLUMNS == INFERENCE_COLUMNS
    # The record's columns, then the row's id and the join key of the traffic history.
    assert _projected(inference_query()) == (*INFERENCE_COLUMNS, "row", "joined")
    assert _output(inference_query()) == INFERENCE_COLUMNS


def test_the_projection_reader_sees_a_missing_column() -> None:
    query = inference_query().replace('    error = tostring(customDimensions["error"]),\n', "")
    assert "error" not in _projected(query)


def test_the_query_judges_rows_by_the_traffic_events_the_rollout_writes() -> None:
    """The names the KQL reads are the contract's (decision 0014); the KQL cannot run here, the rule's
    Python twin (`scored_live`) is tested in test_mirrored_rows.py."""
    query = inference_query()
    assert f'where name == "{TRAFFIC_EVENT_NAME}"' in query
    assert f'customDimensions["{LIVE_FIELD}"]' in query
    judged = query.index("set_has_element(todynamic(live), deployment)")
    assert query.index("summarize arg_max(changed, *) by row") < judged < query.rindex("\n| project ")
