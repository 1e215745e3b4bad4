"""Drift scenarios are defined from the schema and checked when the local plan is built: a scenario the
schema cannot carry is refused before anything starts, in one line naming the feature and the problem."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from environments.deploy.command import deploy
from environments.deploy.local_plan import local_plan
from environments.drift_scenario import parse_scenario
from environments.errors import ConfigError
from environments.loader import OVERRIDES_VARIABLE, load_environment

STARTED = datetime(2026, 11, 30, 6, 41, 28, tzinfo=UTC)


def _plan(scenario: str | None) -> dict[str, tuple[str, ...]]:
    given = parse_scenario(scenario) if scenario else None
    steps = local_plan(load_environment("local"), Path("/state"), 10, given, STARTED)
    return {step.name: step.argv for step in steps}


def _drift(argv: tuple[str, ...]) -> dict:
    return json.loads(argv[argv.index("--drift") + 1])


def test_the_card_demo_inflates_amounts_from_its_environment_file() -> None:
    steps = _plan(None)
    expected = {"kind": "scale", "feature": "amount", "factor": 1.8}
    assert _drift(steps["drifted-data"]) == expected
    assert _drift(steps["fresh-labels"]) == expected
    assert "--drift" not in steps["data"]


def test_the_flag_replaces_the_environment_s_scenario() -> None:
    steps = _plan("{kind: reweight, feature: channel, weights: {online: 4}}")
    assert _drift(steps["drifted-data"]) == {
        "kind": "reweight",
        "feature": "channel",
        "weights": {"online": 4.0},
    }


@pytest.mark.parametrize(
    ("scenario", "problem"),
    [
        (
            "{kind: shift, feature: mean_radius, sd: 3}",
            "feature 'mean_radius' is not in schema card-transactions",
        ),
        (
            "{kind: shift, feature: channel, sd: 3}",
            "feature 'channel' is category; shift needs a numeric feature",
        ),
        (
            "{kind: scale, feature: is_foreign, factor: 2}",
            "feature 'is_foreign' is boolean; scale needs a numeric",
        ),
        (
            "{kind: reweight, feature: amount, weights: {a: 2}}",
            "feature 'amount' is float; reweight needs a category",
        ),
        (
            "{kind: reweight, feature: channel, weights: {fax: 2}}",
            "feature 'channel': unknown category fax (known: pos,",
        ),
    ],
)
def test_a_scenario_the_schema_cannot_carry_is_refused_in_one_line(scenario: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _plan(scenario)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("--drift-scenario: drift scenario ")
    assert problem in caught.value.problems[0]


def test_a_malformed_scenario_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"--drift-scenario: scale.factor: "):
        parse_scenario("{kind: scale, feature: amount, factor: -1}")


def test_deploy_refuses_before_rendering_anything(tmp_path: Path) -> None:
    """The root has no templates: had deploy got past the check it would fail differently."""
    (tmp_path / "environments" / "schemas").mkdir(parents=True)
    source = Path(__file__).resolve().parents[1]
    for name in ("base.yml", "local.yml", "schemas/card-transactions.yml"):
        (tmp_path / "environments" / name).write_text((source / name).read_text())
    with pytest.raises(ConfigError) as caught:
        deploy("local", root=tmp_path, drift_scenario="{kind: nulls, feature: nope, rate: 0.5}")
    assert caught.value.problems == [
        "--drift-scenario: drift scenario nulls: feature 'nope' is not in schema card-transactions "
        "(features: amount, merchant_category, channel, card_present, is_foreign, hour_of_day, customer_age, "
        "account_age_days, txn_count_24h, distance_from_home_km, avg_amount_30d)"
    ]
    assert not (tmp_path / "build").exists()


def test_with_a_training_file_the_loop_replays_it_and_retrains_on_all_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "breast-cancer" / "environment.yml"
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(example))
    steps = {
        step.name: step for step in local_plan(load_environment("local"), Path("/state"), 10, None, STARTED)
    }
    assert "rows replayed from the held-out part of breast-cancer.csv" in steps["data"].description
    assert "mean_radius shifted by 3 sd" in steps["drifted-data"].description
    assert _drift(steps["drifted-data"].argv) == {"kind": "shift", "feature": "mean_radius", "sd": 3.0}
    assert "--whole-file" in steps["fresh-labels"].argv and "--rows" not in steps["fresh-labels"].argv
    assert steps["data"].argv[5:7] == ("--state-dir", "/state")
