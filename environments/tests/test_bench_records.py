"""The benchmark summary combines domain records and refuses malformed ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.bench_records import bench_record, check_record, summarize
from environments.errors import EnvironmentsError

RECORD = {
    "name": "rows_per_second_batch_1000",
    "value": 50.0,
    "unit": "rows/s",
    "baseline": 100.0,
    "ratio": 0.5,
    "goal": "ratio >= 0.5",
    "met": True,
    "params": {"batch": 1000},
}


def test_summary_counts_met_and_missed(tmp_path: Path) -> None:
    (tmp_path / "ml.json").write_text(json.dumps([RECORD, {**RECORD, "met": False}]))
    summary = json.loads(summarize(tmp_path).read_text())
    assert summary["met"] == 1
    assert summary["missed"] == 1
    assert summary["domains"]["ml"][0]["name"] == RECORD["name"]


def test_wrong_ratio_and_missing_keys_are_named(tmp_path: Path) -> None:
    broken = {key: value for key, value in RECORD.items() if key != "goal"}
    (tmp_path / "ml.json").write_text(json.dumps([{**broken, "ratio": 2.0}]))
    with pytest.raises(EnvironmentsError) as caught:
        summarize(tmp_path)
    assert "ml.json[0]: missing key goal" in str(caught.value)
    assert "ratio 2.0 is not value / baseline" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "baseline"), [(0.017, 0.289), (17.3, 0.0412), (123456.7, 98765.4), (1e-5, 3e-4)]
)
def test_a_record_is_accepted_at_any_scale(value: float, baseline: float, tmp_path: Path) -> None:
    """A bench record of small values (seconds of a 200-row export) passes the record check: rounding to a
    fixed number of decimals once made the ratio disagree with value / baseline."""
    record = bench_record("x", value, "s", baseline, "<= 1", True, {})
    assert check_record(record, tmp_path / "x.json", 0) == []
    assert record["ratio"] == pytest.approx(value / baseline, rel=1e-3)
