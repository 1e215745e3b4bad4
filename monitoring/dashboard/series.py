"""The dashboard's time series from the local collector's rows (pure logic): the KQL of each panel,
answered over `GET /query/inferences` and `GET /query/metrics` items.

Every series is per minute (KQL `bin(timestamp, 1m)`) except drift (per hour, as the KQL bins it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import numpy as np

from monitoring.dashboard.panels import Panel

Series = dict[str, list[tuple[datetime, float]]]


def _time(row: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(row["time"]).replace("Z", "+00:00"))


def _bin(moment: datetime, minutes: int) -> datetime:
    minute = moment.minute - moment.minute % minutes if minutes < 60 else 0
    return moment.replace(minute=minute, second=0, microsecond=0)


def _sorted(groups: Mapping[str, Mapping[datetime, float]]) -> Series:
    return {name: sorted(points.items()) for name, points in groups.items()}


def throughput(inferences: Iterable[Mapping[str, Any]], only_errors: bool = False) -> Series:
    """Rows per minute (`summarize rows = count() by bin(timestamp, 1m)`); only rows with an error if asked."""
    counts: dict[datetime, float] = defaultdict(float)
    for row in inferences:
        if only_errors and not row.get("error"):
            continue
        counts[_bin(_time(row), 1)] += 1
    return _sorted({"invalid_rows" if only_errors else "rows": counts})


def latency(inferences: Iterable[Mapping[str, Any]]) -> Series:
    """p50 and p95 of `latency_ms` per minute (KQL `percentile`, nearest-rank like the service's estimate)."""
    values: dict[datetime, list[float]] = defaultdict(list)
    for row in inferences:
        if row.get("latency_ms") is not None:
            values[_bin(_time(row), 1)].append(float(row["latency_ms"]))
    return _sorted(
        {
            name: {t: float(np.percentile(v, q, method="inverted_cdf")) for t, v in values.items()}
            for name, q in (("p50", 50), ("p95", 95))
        }
    )


def platform_metric(rows: Iterable[Mapping[str, Any]], panel: Panel) -> Series:
    """A platform metric sent to the collector under its Azure name: per minute, split like the chart."""
    metric = panel.metric
    assert metric is not None, panel.key
    groups: dict[str, dict[datetime, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        split = str(row.get("dimensions", {}).get(metric.split_by, "")) if metric.split_by else metric.name
        if metric.filter_value is not None and split != metric.filter_value:
            continue
        moment = _bin(_time(row), 1)
        value = float(row["value"])
        if metric.aggregation == "Maximum":
            previous = groups[split].get(moment)
            groups[split][moment] = value if previous is None else max(previous, value)
        else:
            groups[split][moment] += value
    return _sorted(groups)


def drift(rows: Iterable[Mapping[str, Any]], features: Iterable[str]) -> Series:
    """Each feature's hourly mean of a drift metric (sum(value) / sum(count)), the panel's features only."""
    wanted = set(features)
    sums: dict[str, dict[datetime, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    for row in rows:
        feature = str(row.get("dimensions", {}).get("feature", ""))
        if feature not in wanted:
            continue
        cell = sums[feature][_bin(_time(row), 60)]
        cell[0] += float(row["value"])
        cell[1] += float(row.get("count") or 1)
    return _sorted({f: {t: s / c for t, (s, c) in points.items()} for f, points in sums.items()})
