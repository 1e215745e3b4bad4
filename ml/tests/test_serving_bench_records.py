"""The benchmark's records (pure): DESIGN.md shape, ratios, and the batch-1000 goal."""

from __future__ import annotations

from environments.bench_records import check_record
from ml.bench.scoring import GOAL_BATCH, bench_records, summarize


def test_records_have_the_design_shape_and_the_goal_at_batch_1000(tmp_path):
    server = {1: summarize([0.01, 0.02], 1), GOAL_BATCH: summarize([0.04, 0.04], GOAL_BATCH)}
    in_process = {1: summarize([0.005], 1), GOAL_BATCH: summarize([0.05], GOAL_BATCH)}
    records = bench_records(server, in_process, {"workers": 1})
    assert all(check_record(r, tmp_path / "ml.json", i) == [] for i, r in enumerate(records))
    goal = next(r for r in records if r["name"] == f"score_rows_per_s_batch_{GOAL_BATCH}")
    assert goal["value"] == 25000.0 and goal["baseline"] == 20000.0 and goal["met"] is True
    assert goal["params"]["batch_rows"] == GOAL_BATCH


def test_goal_is_missed_below_half_of_in_process(tmp_path):
    server = {GOAL_BATCH: summarize([0.3], GOAL_BATCH)}
    in_process = {GOAL_BATCH: summarize([0.1], GOAL_BATCH)}
    goal = next(r for r in bench_records(server, in_process, {}) if r["name"].startswith("score_rows_per_s"))
    assert goal["met"] is False and abs(goal["ratio"] - 1 / 3) < 1e-3
