"""Each named drift scenario crosses the thresholds of exactly the features it changes.

Data: `monitoring.testing.drift_test_table`, the schema-driven test generator that mirrors the ML
generator's scenario -> features mapping (the ml domain is not imported). 20 000 rows per side.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from environments.loader import load_environment
from monitoring.drift import compute_drift
from monitoring.testing import DRIFT_SCENARIOS, drift_test_table

ROWS = 20_000
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env():
    return load_environment("local")


@pytest.fixture(scope="module")
def reference(env):
    return drift_test_table(env.data_schema(), ROWS, seed=1)


def _drifted(env, reference, scenario):
    current = drift_test_table(env.data_schema(), ROWS, seed=2, scenario=scenario)
    records = compute_drift(reference, current, env.data_schema(), env.monitoring.drift.model_dump())
    return {r.feature for r in records if r.drifted and r.kind != "prediction"}, records


def test_no_drift_injected_means_no_metric_drifts(env, reference) -> None:
    drifted, records = _drifted(env, reference, None)
    assert drifted == set()
    assert {r.metric for r in records} >= {
        "normalized_wasserstein_distance",
        "jensen_shannon_distance",
        "population_stability_index",
        "two_sample_kolmogorov_smirnov_test",
        "pearsons_chi_squared_test",
        "null_value_rate",
    }


@pytest.mark.parametrize("scenario", sorted(DRIFT_SCENARIOS))
def test_scenario_drifts_exactly_its_features(env, reference, scenario: str) -> None:
    drifted, records = _drifted(env, reference, scenario)
    assert drifted == set(DRIFT_SCENARIOS[scenario])
    alert_metrics = {env.monitoring.alert.numeric_metric, env.monitoring.alert.categorical_metric}
    # Missing values leave the non-null distribution alone: that scenario shows in the null rate instead.
    expected = {"null_value_rate"} if scenario == "missing_values_surge" else alert_metrics
    checked = [r for r in records if r.feature in DRIFT_SCENARIOS[scenario] and r.metric in expected]
    assert checked
    assert all(r.drifted for r in checked), checked


def test_cli_writes_one_record_per_feature_and_metric(env, tmp_path: Path) -> None:
    schema = env.data_schema()
    pq.write_table(drift_test_table(schema, 2000, seed=1), tmp_path / "a.parquet")
    pq.write_table(
        drift_test_table(schema, 2000, seed=2, scenario="amount_inflation"), tmp_path / "b.parquet"
    )
    out = tmp_path / "m.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitoring",
            "drift",
            "local",
            "--reference",
            str(tmp_path / "a.parquet"),
            "--current",
            str(tmp_path / "b.parquet"),
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    records = json.loads(out.read_text())
    assert {"feature", "metric", "value", "threshold", "drifted"} <= set(records[0])
    keys = [(r["feature"], r["metric"]) for r in records]
    assert len(keys) == len(set(keys))
    assert {r["feature"] for r in records if r["drifted"] and r["kind"] != "prediction"} == {"amount"}


def test_cli_names_a_missing_file(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitoring",
            "drift",
            "--reference",
            str(tmp_path / "nope.parquet"),
            "--current",
            str(tmp_path / "nope.parquet"),
            "--out",
            str(tmp_path / "m.json"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "nope.parquet" in run.stderr
