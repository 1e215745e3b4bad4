"""The inference log's record: its columns and how its logged features are read back (a contract).

One record per scored row, logged by score.py through `monitoring.telemetry` (a custom event named
`inference`), read back by the export (`export/queries/inference_records.kql`, the collector's query
API) and by the drift component (the Logic App's `records.json`). docs/contracts.md, "Inference log".

Standard library only: the scoring code folder ships this module beside `monitoring/telemetry`
(`ml/serving/code_folder.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

INFERENCE_COLUMNS = (
    "time",
    "request_id",
    "model_name",
    "model_version",
    "deployment",
    "features",
    "score",
    "error",
    "latency_ms",
)
"""The columns of one inference record, in the export query's order. Each reader states what it adds:
the collector's query rows add `role` (`monitoring/collector/views.py`); the telemetry adds the
`sampling_ratio` attribute to the event (`monitoring/telemetry/records.py`)."""


PROBE_COLUMN = "probe"
"""Present only on rows of probe traffic (smoke tests; `ml/scoring/probe.py` owns the request marker): the
export's KQL and the local export leave those rows out, so they never reach drift. Not exported."""


def parse_features(value: Any) -> dict[str, Any]:
    """The logged features: a JSON object, or its text as the KQL's `tostring()` gives it; none is `{}`.

    Raises ValueError naming what is wrong (the start of text that is not JSON, the type that is not an
    object); callers add where the record came from.
    """
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"features are not JSON: {exc.msg} in {value[:80]!r}") from exc
    if not isinstance(value, Mapping):
        raise ValueError(f"features must be a JSON object, got {type(value).__name__}")
    return dict(value)
