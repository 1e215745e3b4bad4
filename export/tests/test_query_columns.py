"""The export query projects exactly the inference record's columns (environments.inference_log)."""

from __future__ import annotations

import re

from environments.inference_log import INFERENCE_COLUMNS
from export.query_text import COLUMNS, inference_query


def _projected(query: str) -> tuple[str, ...]:
    body = query.split("| project", 1)[1].split("\n|", 1)[0]
    return tuple(re.findall(r"^\s*([A-Za-z_]+)\s*=", body, flags=re.MULTILINE))


def test_export_query_projects_the_record_columns_in_order() -> None:
    assert COLUMNS == INFERENCE_COLUMNS
    assert _projected(inference_query()) == INFERENCE_COLUMNS


def test_the_projection_reader_sees_a_missing_column() -> None:
    query = inference_query().replace('    error = tostring(customDimensions["error"]),\n', "")
    assert "error" not in _projected(query)
