"""`python -m ml data`: training data, drifted samples and file checks from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ml.cli import data as cli
from ml.data.generator import SCENARIOS


def test_writes_training_data_with_its_fingerprint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["local", "--rows", "1000", "--state-dir", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["rows"] == 1000
    assert printed["fingerprint"].startswith("sha256:")
    assert (
        json.loads((tmp_path / "data" / "training.json").read_text())["fingerprint"] == printed["fingerprint"]
    )


def test_writes_a_drifted_sample_and_lists_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "drift.parquet"
    assert (
        cli.main(
            ["local", "--out", str(out), "--rows", "500", "--seed", "3", "--scenario", "unseen_category"]
        )
        == 0
    )
    assert (pd.read_parquet(out)["merchant_category"] == "crypto_exchange").any()
    capsys.readouterr()
    assert cli.main(["local", "--scenarios"]) == 0
    listed = capsys.readouterr().out
    for scenario in SCENARIOS.values():
        assert f"{scenario.name}: affects {', '.join(scenario.affects)}." in listed


def test_check_reports_problems_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sample.csv"
    assert cli.main(["local", "--out", str(out), "--rows", "50"]) == 0
    assert cli.main(["local", "--check", str(out)]) == 0
    frame = pd.read_csv(out)
    frame.loc[2, "hour_of_day"] = 99
    frame.to_csv(out, index=False)
    assert cli.main(["local", "--check", str(out)]) == 1
    assert "column hour_of_day: row 3 (line 4): outside [0, 23]" in capsys.readouterr().err
