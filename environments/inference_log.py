"""The inference log's record: its columns and how its logged features are read back (a contract).

One record per scored row, logged by score.py through `monitoring.telemetry` (a custom event named
`inference`), read back by the export (`export/queries/inference_records.kql`, the collector's query
API) and by the drift component (the Logic App's `records.json`). docs/contracts.md, "Inference log".

Standard library only: the scoring code folder ships this module beside `monitoring/telemetry`
(`ml/serving/code_folder.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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


TRAFFIC_EVENT_NAME = "traffic"
"""Custom event the rollout writes into the inference log at every change of the deployments taking live
traffic (`ml/serving/traffic_history.py`), with `LIVE_FIELD`. A mirrored copy of a request is scored and
logged by a deployment that takes no live traffic (Azure ML: a deployment receives live or mirrored
traffic, never both), and Azure marks the copy in no way score.py can see: so an inference row counts
only when the deployment that scored it was live at that moment (`scored_live`; the export's KQL does
the same). docs/decisions/0014-mirrored-rows-by-traffic-history.md."""

LIVE_FIELD = "live"
"""The traffic event's field: the names of the deployments taking live traffic, as a JSON list."""

MIRROR_FIELD = "mirror"
"""The traffic event's other field: the deployments receiving mirrored copies from then on, as a JSON list
(absent on events written before it existed). It plays no part in judging a row; it names the candidate
of a mirror step in the history, so that a deployment missing from the history means its traffic events
were lost (refused at ingestion), not that it was only ever mirrored (`unrecorded_deployments`)."""


@dataclass(frozen=True)
class TrafficChange:
    """From `time` on, exactly the deployments in `live` take live traffic (and `mirror` mirrored copies)."""

    time: datetime
    live: frozenset[str]
    mirror: frozenset[str] = frozenset()


def live_json(live: Iterable[str]) -> str:
    """The `live` field's text: sorted names as a JSON list."""
    return json.dumps(sorted(set(live)), separators=(",", ":"))


def parse_live(value: Any, field: str = LIVE_FIELD) -> frozenset[str]:
    """The `live` (or `mirror`) field (JSON list text, or a list) -> names; ValueError naming what is
    wrong. A missing `mirror` (None, "") is no names."""
    if field == MIRROR_FIELD and value in (None, ""):
        return frozenset()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{field} is not JSON: {exc.msg} in {value[:80]!r}") from exc
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValueError(f"{field} must be a JSON list of deployment names, got {str(value)[:80]!r}")
    return frozenset(value)


def unrecorded_deployments(deployments: Iterable[str | None], history: Sequence[TrafficChange]) -> set[str]:
    """The deployments among `deployments` (those that scored an hour's rows) that no traffic change names,
    when mirrored copies are possible among those rows: they name more than one deployment (a copy is
    scored beside the live answer, by another deployment). Non-empty means the traffic history is
    incomplete (a rollout's `traffic` events refused at ingestion), so live rows cannot be told from
    mirrored copies: the export refuses such an hour rather than guess."""
    named = {name for name in deployments if name}
    if len(named) < 2:
        return set()
    recorded = set().union(*(change.live | change.mirror for change in history))
    return named - recorded


def scored_live(deployment: str | None, time: datetime, history: Sequence[TrafficChange]) -> bool:
    """Whether a row scored by `deployment` at `time` is live traffic: the deployment was in the live set
    of the last change at or before `time`. No change before `time` (no rollout recorded yet): live.
    `history` may be in any order."""
    last: TrafficChange | None = None
    for change in history:
        if change.time <= time and (last is None or change.time > last.time):
            last = change
    return last is None or (deployment is not None and deployment in last.live)
