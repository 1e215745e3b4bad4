"""pytest fixtures and helpers of the monitoring domain, shared with every domain's tests.

Registered for the whole repository by the root `conftest.py`.

- `collector` (session): the real local Application Insights collector (`python -m monitoring collector`)
  on a free loopback port; `.connection_string` points the real Azure Monitor exporter at it,
  `.query(route, **params)` reads the query API.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from environments.standins import ManagedProcess, free_port

COLLECTOR_IKEY = "00000000-0000-0000-0000-000000000000"


@dataclass
class RunningCollector:
    """A collector process with its port, store and the connection string that targets it."""

    process: ManagedProcess
    port: int
    db_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connection_string(self) -> str:
        # The exporter appends "/v2.1/track" to IngestionEndpoint.
        return f"InstrumentationKey={COLLECTOR_IKEY};IngestionEndpoint={self.url}/"

    def query(self, route: str, **params: str) -> list[dict[str, Any]]:
        """GET /query/<route> with the given parameters (use dim_<key> for dim.<key>); returns items."""
        query = urllib.parse.urlencode({_param(k): v for k, v in params.items()})
        with urllib.request.urlopen(f"{self.url}/query/{route}?{query}", timeout=10) as response:
            return json.loads(response.read())["items"]

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        self.process.stop()


def _param(key: str) -> str:
    return "dim." + key[4:] if key.startswith("dim_") else key


def start_collector(state_dir: Path, timeout_s: float = 30.0) -> RunningCollector:
    """Start `python -m monitoring collector` on a free port and wait until /health answers."""
    port = free_port()
    db_path = state_dir / "collector" / "telemetry.sqlite"
    process = ManagedProcess(
        name="collector",
        argv=[sys.executable, "-m", "monitoring", "collector", "--port", str(port), "--db", str(db_path)],
        log_path=state_dir / "collector" / "collector.log",
        cwd=Path(__file__).resolve().parent.parent,
    ).start()
    collector = RunningCollector(process, port, db_path)
    process.wait_ready(collector.healthy, timeout_s)
    return collector


@pytest.fixture(scope="session")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """The real local collector for the whole test session, stopped by PID at the end."""
    running = start_collector(tmp_path_factory.mktemp("collector"))
    yield running
    running.stop()


# --- Drift test data -------------------------------------------------------------------------------
# A schema-driven generator of scored transactions for the drift, alert and retraining tests. It mirrors
# the named drift scenarios of the ML data generator (scenario -> affected features, as documented in
# `ml/data/generator.py`) without importing the ml domain; each feature draws from its own seeded
# stream, so a scenario changes only the features it names.

DRIFT_SCENARIOS: dict[str, tuple[str, ...]] = {
    "amount_inflation": ("amount",),
    "category_mix_shift": ("merchant_category",),
    "unseen_category": ("merchant_category",),
    "missing_values_surge": ("distance_from_home_km", "customer_age", "channel"),
}
"""Scenario name -> features it changes (the ML generator's documented mapping)."""


def drift_test_table(schema: Any, rows: int, seed: int, scenario: str | None = None) -> Any:
    """A pyarrow table of `rows` scored records for `schema` (features + `score`), reproducible from `seed`."""
    import numpy as np
    import pyarrow as pa

    if scenario is not None and scenario not in DRIFT_SCENARIOS:
        raise ValueError(f"unknown drift scenario {scenario!r}; known: {', '.join(sorted(DRIFT_SCENARIOS))}")

    def rng(name: str) -> np.random.Generator:
        return np.random.default_rng([seed, *name.encode()])

    columns: dict[str, Any] = {}
    for feature in schema.features:
        r = rng(feature.name)
        if feature.type == "category":
            categories = list(feature.categories)
            weights = np.linspace(2.0, 1.0, len(categories))
            if scenario == "category_mix_shift" and feature.name == "merchant_category":
                weights = weights[::-1] ** 3
            codes = r.choice(len(categories), size=rows, p=weights / weights.sum())
            values = pa.array(np.array(categories, dtype=object)[codes], type=pa.string())
            if scenario == "unseen_category" and feature.name == "merchant_category":
                hit = rng("unseen").random(rows) < 0.25
                values = pa.array(
                    np.where(hit, "crypto_exchange", np.array(values.to_pylist(), dtype=object))
                )
            columns[feature.name] = values
        elif feature.type == "boolean":
            columns[feature.name] = pa.array(r.random(rows) < 0.3)
        elif feature.type == "float":
            span = feature.max - feature.min
            values = np.clip(r.lognormal(np.log(max(span, 1.0) * 0.002), 0.9, rows), feature.min, feature.max)
            if scenario == "amount_inflation" and feature.name == "amount":
                values = np.clip(values * 1.8, feature.min, feature.max)
            columns[feature.name] = pa.array(np.round(values, 2))
        else:
            lo, hi = int(feature.min), int(feature.max)
            center = lo + (hi - lo) * 0.3
            values = np.clip(np.round(r.normal(center, max((hi - lo) / 8, 1.0), rows)), lo, hi).astype(
                np.int64
            )
            columns[feature.name] = pa.array(values)
    if scenario == "missing_values_surge":
        for name in DRIFT_SCENARIOS[scenario]:
            hit = rng(f"missing-{name}").random(rows) < 0.35
            columns[name] = pa.array(
                [None if h else v for h, v in zip(hit, columns[name].to_pylist(), strict=True)],
                type=columns[name].type,
            )
    # A fixed score function of the amount, so prediction drift follows amount drift only.
    amount = np.asarray(columns["amount"].to_numpy(zero_copy_only=False), dtype=float)
    columns["score"] = pa.array(1.0 / (1.0 + np.exp(-(np.log1p(amount) - 4.0))))
    return pa.table(columns)
