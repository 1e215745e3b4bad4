"""A seeded, schema-driven generator of events for load (pure: no I/O).

Values follow the data schema's types and ranges (`env.data_schema()`); `invalid_ratio` of the events
break one check (a missing, mistyped or out-of-range field), to exercise the dead-letter route.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from environments.data_schema import DataSchema, Feature


def format_event_time(when: datetime) -> str:
    """ISO-8601 UTC with 100 ns digits, as Stream Analytics writes datetimes."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


class EventGenerator:
    """Events with every feature of the schema, an id and an event time."""

    def __init__(self, schema: DataSchema, seed: int = 0, invalid_ratio: float = 0.0) -> None:
        if not 0.0 <= invalid_ratio <= 1.0:
            raise ValueError(f"invalid_ratio must be within [0, 1], got {invalid_ratio}")
        self.schema = schema
        self.random = random.Random(seed)
        self.invalid_ratio = invalid_ratio
        self.count = 0
        self.seed = seed

    def _value(self, feature: Feature) -> Any:
        r = self.random
        if feature.type == "boolean":
            return r.random() < 0.2
        if feature.type == "category":
            return r.choice(feature.categories or ("",))
        low, high = float(feature.min or 0.0), float(feature.max or 0.0)
        if feature.type == "float":
            # Skewed towards small values, like amounts and distances.
            return round(low + (high - low) * r.random() ** 4, 2)
        return r.randint(int(low), int(high))

    def _break(self, event: dict[str, Any]) -> None:
        feature = self.random.choice(self.schema.features)
        kind = self.random.choice(("missing", "type", "range"))
        if kind == "missing":
            event[feature.name] = None
        elif kind == "type" or not feature.is_numeric:
            event[feature.name] = "not-a-value" if feature.type != "category" else 12345
        else:
            event[feature.name] = (feature.max or 0) * 10 + 1

    def event(self, when: datetime) -> dict[str, Any]:
        """One event stamped `when`."""
        self.count += 1
        event: dict[str, Any] = {self.schema.id_column: f"{self.seed}-{self.count:010d}"}
        event |= {f.name: self._value(f) for f in self.schema.features}
        event[self.schema.time_column] = format_event_time(when)
        if self.invalid_ratio and self.random.random() < self.invalid_ratio:
            self._break(event)
        return event

    def events(self, count: int, when: datetime) -> Iterator[dict[str, Any]]:
        for _ in range(count):
            yield self.event(when)
