"""The rendered query's test cases, generated from the data schema and the job's event-ordering settings.

Three cases in Stream Analytics' local-test layout (`streaming/templates/asa/test/`), whatever the schema:
- valid and invalid events: valid rows (numbers also given as text, whole numbers for float features) and
  one row per kind of failed check of the first feature of each type (missing, not of its type, not a
  whole number, out of range, unknown category) plus an event without its id;
- late, out-of-order and early events, with the event times the job's policies give them;
- events of two partitions, each in order.
Expected outputs are computed here: dead-letter rows are the input row plus the check's rejection
(`streaming.query_checks`), scored rows the typed features plus the scoring stand-in's result
(`streaming.querytest.standin`), aggregates the per-window groups of the scored rows. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from environments.data_schema import DataSchema, Feature
from environments.model import StreamAnalytics
from streaming.dead_letter import REJECTION
from streaming.engine.values import format_datetime
from streaming.query_checks import bounds, field_checks, id_missing
from streaming.querytest.cases import ARRIVAL_FIELD, PARTITION_FIELD
from streaming.querytest.standin import stand_in_score

START = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)
"""Time of the first test event (any fixed time: outputs depend only on offsets from it)."""
EARLY_LIMIT = timedelta(minutes=5)
"""An event more than this ahead of its arrival is early and never reaches the query (asa-semantics §1)."""
_FRACTIONS = (0.1, 0.25, 0.4, 0.6, 0.75, 0.9)
"""Where in its range a valid row's numeric value lies, by row variant and feature position."""


@dataclass(frozen=True)
class Row:
    """One test event: the input record, the time the query gives it, and the rejection it gets."""

    record: dict[str, Any]
    time: datetime
    rejection: str | None = None
    typed: dict[str, Any] = field(default_factory=dict)
    """The features as the query types them (valid rows only)."""


@dataclass(frozen=True)
class CaseFiles:
    """The input and expected output files of one case, as JSON records."""

    input: list[dict[str, Any]]
    scored: list[dict[str, Any]]
    deadletter: list[dict[str, Any]]
    aggregates: list[dict[str, Any]]


@dataclass(frozen=True)
class QueryTests:
    """Every case's files and which expectations the job's settings let the cases require."""

    valid_and_invalid: CaseFiles
    late_and_out_of_order: CaseFiles
    partitions: CaseFiles
    aggregates_required: bool
    """The windows are aligned the same from any day start (the window divides a day)."""
    ordering_required: bool
    partitions_required: bool

    def files(self) -> dict[str, list[dict[str, Any]]]:
        """File name (under `test/`) -> records."""
        found = {}
        for prefix, case in (
            ("valid-and-invalid", self.valid_and_invalid),
            ("late-and-out-of-order", self.late_and_out_of_order),
            ("partitions", self.partitions),
        ):
            for part in ("input", "scored", "deadletter", "aggregates"):
                found[f"{prefix}.{part}.json"] = getattr(case, part)
        return found


def _numeric(feature: Feature, fraction: float) -> float | int:
    limits = bounds(feature)
    assert limits is not None  # numeric features always have bounds (DataSchema checks it)
    low, high = limits
    if feature.type == "float":
        return round(low + (high - low) * fraction, 3)
    return min(int(high), max(int(low), round(low + (high - low) * fraction)))


def _typed(feature: Feature, value: Any) -> Any:
    """A valid input value as the query's TRY_CAST gives it back."""
    if feature.type == "float":
        return float(value)
    if feature.type in ("integer", "count"):
        return int(value)
    return value


class _Rows:
    """Builds the events of one schema: valid rows by variant, and rows failing one check each."""

    def __init__(self, schema: DataSchema, group_by: str | None) -> None:
        self.schema = schema
        self.group_by = group_by
        self.count = 0

    def _groups(self) -> tuple[str, ...]:
        return self.schema.feature(self.group_by).categories or () if self.group_by else ()

    def features(self, variant: int, group: int = 0) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for index, feature in enumerate(self.schema.features):
            pick = variant + index
            if feature.is_numeric:
                values[feature.name] = _numeric(feature, _FRACTIONS[pick % len(_FRACTIONS)])
            elif feature.type == "boolean":
                values[feature.name] = pick % 2 == 0
            else:
                categories = feature.categories or ()
                values[feature.name] = categories[pick % len(categories)]
        if self.group_by:
            groups = self._groups()
            values[self.group_by] = groups[group % len(groups)]
        return values

    def event(
        self,
        features: dict[str, Any],
        event_time: datetime,
        arrival: datetime,
        partition: int | None = None,
        without: Iterable[str] = (),
    ) -> dict[str, Any]:
        self.count += 1
        record = {
            self.schema.id_column: f"e-{self.count:03d}",
            self.schema.time_column: event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            **features,
            ARRIVAL_FIELD: arrival.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if partition is not None:
            record[PARTITION_FIELD] = partition
        for name in without:
            del record[name]
        return record

    def valid(
        self,
        features: dict[str, Any],
        event_time: datetime,
        arrival: datetime,
        *,
        query_time: datetime | None = None,
        encode: Callable[[DataSchema, dict[str, Any]], dict[str, Any]] | None = None,
        partition: int | None = None,
    ) -> Row:
        """A valid event: `features` written as `encode` writes them (default: as they are), typed back
        by the query, at `query_time` once the ordering policies have adjusted it (default: its own)."""
        typed = {f.name: _typed(f, features[f.name]) for f in self.schema.features}
        sent = encode(self.schema, features) if encode else features
        record = self.event(sent, event_time, arrival, partition=partition)
        return Row(record, query_time or event_time, typed=typed)

    def failing(self, event_time: datetime) -> list[Row]:
        """The id missing, then each kind of failed check on the first feature of each type."""
        arrival = event_time + timedelta(seconds=1)
        rows = [
            Row(
                self.event(self.features(0), event_time, arrival, without=[self.schema.id_column]),
                event_time,
                id_missing(self.schema),
            )
        ]
        seen: set[str] = set()
        for feature in self.schema.features:
            if feature.type in seen:
                continue
            seen.add(feature.type)
            for value, rejection in _bad_values(feature):
                features = self.features(0)
                without = []
                if value is _MISSING:
                    without = [feature.name]
                else:
                    features[feature.name] = value
                rows.append(
                    Row(self.event(features, event_time, arrival, without=without), event_time, rejection)
                )
        return rows


_MISSING = object()


def _bad_values(feature: Feature) -> list[tuple[Any, str]]:
    """(value, rejection) for every check of `feature`, each value failing that check first."""
    checks = field_checks(feature)
    wrong_type: Any = {"value": 1} if feature.type == "category" else "not-a-value"
    bad: list[tuple[Any, str]] = [(_MISSING, checks.missing), (wrong_type, checks.not_of_type)]
    limits = bounds(feature)
    if checks.not_whole and limits:
        bad.append((limits[0] + 0.5, checks.not_whole))
        # Beyond bigint: read as a float, it is whole, and then judged by its range.
        bad.append((9223372036854775813, str(checks.out_of_range)))
    elif checks.out_of_range and limits:
        bad.append((limits[1] + max(1.0, abs(limits[1])), checks.out_of_range))
    if checks.unknown_category:
        unknown = "unknown-" + feature.name
        while unknown in checks.categories:
            unknown += "-x"
        bad.append((unknown, checks.unknown_category))
    return bad


def _scored(schema: DataSchema, rows: list[Row]) -> list[dict[str, Any]]:
    scored = []
    for row in rows:
        if row.rejection is not None:
            continue
        request = {schema.id_column: row.record[schema.id_column], **row.typed}
        result = stand_in_score(request)
        scored.append(
            {
                schema.id_column: request[schema.id_column],
                schema.time_column: format_datetime(row.time),
                **row.typed,
                "score": result["score"],
                "scoring_error": result["error"],
                "model_version": result["model_version"],
            }
        )
    return scored


def _deadletter(rows: list[Row]) -> list[dict[str, Any]]:
    return [{**row.record, REJECTION: row.rejection} for row in rows if row.rejection is not None]


def _aggregates(
    schema: DataSchema, scored: list[dict[str, Any]], group_by: str | None, window_minutes: int
) -> list[dict[str, Any]]:
    if group_by is None:
        return []
    window = timedelta(minutes=window_minutes)
    groups: dict[tuple[datetime, Any], list[float | None]] = {}
    for row in scored:
        time = datetime.strptime(row[schema.time_column][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        # Tumbling windows end on multiples of their size; an event at an end belongs to the next window.
        start_of_day = time.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start_of_day + ((time - start_of_day) // window + 1) * window
        groups.setdefault((end, row[group_by]), []).append(row["score"])
    aggregates = []
    for (end, value), scores in groups.items():
        known = [s for s in scores if s is not None]
        aggregates.append(
            {
                group_by: value,
                "events": len(scores),
                "scored_events": len(known),
                "avg_score": math.fsum(known) / len(known) if known else None,
                "max_score": max(known) if known else None,
                "window_end": format_datetime(end),
            }
        )
    return aggregates


def _case(schema: DataSchema, rows: list[Row], group_by: str | None, window_minutes: int) -> CaseFiles:
    scored = _scored(schema, rows)
    return CaseFiles(
        input=[row.record for row in rows],
        scored=scored,
        deadletter=_deadletter(rows),
        aggregates=_aggregates(schema, scored, group_by, window_minutes),
    )


def _as_text(schema: DataSchema, features: dict[str, Any]) -> dict[str, Any]:
    """Numbers given as JSON strings: the query's TRY_CAST reads them as numbers."""
    return {
        name: str(value) if schema.feature(name).is_numeric else value for name, value in features.items()
    }


def _whole_floats(schema: DataSchema, features: dict[str, Any]) -> dict[str, Any]:
    """Float features as whole numbers where one lies in range (JSON `27`, typed back as `27.0`)."""
    changed = dict(features)
    for feature in schema.features:
        limits = bounds(feature)
        if feature.type == "float" and limits and math.ceil(limits[0]) <= limits[1]:
            changed[feature.name] = int(
                min(limits[1], max(math.ceil(limits[0]), round(features[feature.name])))
            )
    return changed


def query_tests(schema: DataSchema, settings: StreamAnalytics, group_by: str | None) -> QueryTests:
    """The three cases for `schema` under the job's event-ordering settings; `group_by` is the
    aggregate's category feature (None: the query has no aggregate output)."""
    window = settings.aggregate_window_minutes
    late = settings.late_arrival_max_delay_s

    def at(seconds: int) -> datetime:
        return START + timedelta(seconds=seconds)

    build = _Rows(schema, group_by)
    valid_and_invalid = [
        build.valid(build.features(0, group=0), at(1), at(2)),
        build.valid(build.features(1, group=1), at(5), at(6)),
        build.valid(build.features(2, group=2), at(10), at(11), encode=_as_text),
        build.valid(_whole_floats(schema, build.features(3, group=1)), at(15), at(16)),
        *build.failing(at(20)),
        build.valid(build.features(4, group=0), at(65), at(66)),
    ]

    # Arrival order: on time, on time, out of order (adjusted to the latest time seen), late (adjusted
    # to its arrival minus the late-arrival tolerance), on time, early (dropped before the query).
    tolerance = timedelta(seconds=max(late, 0))
    late_rows = [
        build.valid(build.features(0, group=0), at(10), at(11)),
        build.valid(build.features(1, group=0), at(40), at(41)),
        build.valid(build.features(2, group=1), at(20), at(42), query_time=at(40)),
        build.valid(build.features(3, group=0), at(50), at(90), query_time=at(90) - tolerance),
        build.valid(build.features(4, group=1), at(95), at(96)),
    ]
    early = build.event(build.features(5, group=0), at(97) + EARLY_LIMIT + timedelta(minutes=1), at(97))
    late_case = _case(schema, late_rows, group_by, window)
    late_case = CaseFiles([*late_case.input, early], late_case.scored, [], late_case.aggregates)

    # Partition 0 is in order on its own; partition 1's earlier event does not hold partition 0 back.
    partition_rows = [
        build.valid(build.features(0, group=0), at(30), at(31), partition=0),
        build.valid(build.features(1, group=1), at(28), at(32), partition=1),
        build.valid(build.features(2, group=1), at(27), at(33), partition=0, query_time=at(30)),
    ]

    policy_adjusts = settings.out_of_order_policy == "Adjust" and settings.out_of_order_max_delay_s == 0
    return QueryTests(
        valid_and_invalid=_case(schema, valid_and_invalid, group_by, window),
        late_and_out_of_order=late_case,
        partitions=_case(schema, partition_rows, group_by, window),
        aggregates_required=(24 * 60) % window == 0,
        ordering_required=policy_adjusts and 0 <= late <= 20,
        partitions_required=policy_adjusts and (late >= 4 or late == -1),
    )
