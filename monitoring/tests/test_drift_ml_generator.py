"""Drift on data from the ML domain's generator, reached through its command line (`python -m ml data`).

The scenario -> features mapping is read from `python -m ml data local --scenarios`, so a scenario the
ML generator adds is checked too. Reference: seed 1; current: seed 2 (independent draws), 20 000 rows each.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from environments.loader import load_environment
from monitoring.drift import compute_drift, read_table

REPO = Path(__file__).resolve().parents[2]
ROWS = "20000"


def _ml_data(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ml", "data", "local", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"python -m ml data failed: {done.stderr[-2000:]}")
    return done.stdout


@pytest.fixture(scope="module")
def scenarios() -> dict[str, set[str]]:
    listed = re.findall(r"^(\w+): affects ([\w, ]+)\.", _ml_data("--scenarios"), flags=re.MULTILINE)
    assert listed, "python -m ml data --scenarios listed no scenario"
    return {name: {f.strip() for f in features.split(",")} for name, features in listed}


@pytest.fixture(scope="module")
def generated(
    scenarios: dict[str, set[str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str | None, Path]:
    folder = tmp_path_factory.mktemp("ml-data")
    files: dict[str | None, Path] = {}
    for name, seed, scenario in [("reference", "1", None), ("current", "2", None)] + [
        (s, "2", s) for s in sorted(scenarios)
    ]:
        path = folder / f"{name}.parquet"
        _ml_data(
            "--out",
            str(path),
            "--rows",
            ROWS,
            "--seed",
            seed,
            *(["--scenario", scenario] if scenario else []),
        )
        files["reference" if name == "reference" else scenario] = path
    return files


def _drifted(generated: dict, scenario: str | None) -> tuple[set[str], list]:
    env = load_environment("local")
    records = compute_drift(
        read_table(generated["reference"]),
        read_table(generated[scenario]),
        env.data_schema(),
        env.monitoring.drift.model_dump(),
    )
    return {r.feature for r in records if r.drifted}, records


@pytest.mark.slow
def test_ml_generator_without_drift_has_no_drifted_feature(generated: dict) -> None:
    drifted, _ = _drifted(generated, None)
    assert drifted == set()


@pytest.mark.slow
def test_ml_generator_scenarios_drift_exactly_their_features(generated: dict, scenarios: dict) -> None:
    env = load_environment("local")
    alerting = {env.monitoring.alert.numeric_metric, env.monitoring.alert.categorical_metric}
    for scenario, features in scenarios.items():
        drifted, records = _drifted(generated, scenario)
        assert drifted == features, scenario
        # The alerting metric crosses for distribution changes; nulls show in the null rate.
        crossing = {
            r.feature
            for r in records
            if r.drifted and (r.metric in alerting or r.metric == "null_value_rate")
        }
        assert crossing == features, scenario
