"""A long loop step shows its own progress lines as it prints them, not a log tail (cut JSON) at the end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from environments.arm import validate_directory
from environments.deploy.local import LocalLoopError, _run_task
from environments.deploy.local_plan import LocalStep
from environments.deploy.step_progress import LogFollower, progress_line
from environments.golden_render import GOLDEN_ENVIRONMENT, GOLDEN_ROOT
from environments.standins.supervisor import Supervisor

TRAINING_LIKE = """
import json, sys
print("step prep: card_fraud_prep", flush=True)
print("2026-11-30 06:07:03,691 INFO streamscore.monitoring.drift drift: 316 rows", flush=True)
print("HTTP Request: GET http://127.0.0.1:1/query 200", flush=True)
print(json.dumps({"registration": {"registered": False, "reason": "worse"}}, indent=2), flush=True)
sys.exit(int(sys.argv[1]))
"""


def test_progress_lines_are_the_commands_own_words() -> None:
    assert progress_line("step train: card_fraud_train\n") == "step train: card_fraud_train"
    assert (
        progress_line(
            "2026-11-30 06:07:31,248 INFO streamscore.monitoring.drift drift: card-fraud v1: 316 rows"
        )
        == "drift: card-fraud v1: 316 rows"
    )
    for not_progress in ("{", '  "registered": false,', "}", "", "Response status: 201", '{"at": "2026"}'):
        assert progress_line(not_progress) is None, not_progress
    assert len(progress_line("x" * 500) or "") == 160


def test_log_follower_returns_each_complete_line_once(tmp_path: Path) -> None:
    log = tmp_path / "step.log"
    follower = LogFollower(log)
    assert follower.new_lines() == []  # not written yet
    log.write_bytes(b"one\ntw")
    assert follower.new_lines() == ["one"]
    with log.open("ab") as out:
        out.write(b"o\nthree\n")
    assert follower.new_lines() == ["two", "three"]
    assert follower.new_lines() == []


def _step(tmp_path: Path, exit_code: int) -> LocalStep:
    script = tmp_path / "task.py"
    script.write_text(TRAINING_LIKE)
    return LocalStep("train", "task", "train", (sys.executable, str(script), str(exit_code)))


@pytest.mark.services  # a ManagedProcess, as the loop starts it
def test_a_task_shows_its_progress_lines_and_not_its_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Supervisor() as supervisor:
        _run_task(_step(tmp_path, 0), {}, tmp_path, tmp_path / "logs", supervisor)
    shown = capsys.readouterr().out.splitlines()
    assert shown[:2] == ["    step prep: card_fraud_prep", "    drift: 316 rows"]
    assert shown[-1] == f"    (full output: {tmp_path / 'logs' / 'train.log'})"
    assert not [line for line in shown if "registered" in line or "HTTP" in line]


@pytest.mark.services
def test_a_failed_task_names_itself_and_shows_its_log_tail(tmp_path: Path) -> None:
    with (
        Supervisor() as supervisor,
        pytest.raises(LocalLoopError, match=r"step train failed \(exit 3\)") as caught,
    ):
        _run_task(_step(tmp_path, 3), {}, tmp_path, tmp_path / "logs", supervisor)
    assert '"registered": false' in str(caught.value)


def test_validation_says_which_template_it_is_checking() -> None:
    shown: list[str] = []
    folder = GOLDEN_ROOT / GOLDEN_ENVIRONMENT  # dev's rendered templates, as checked in
    checked = validate_directory(folder, progress=shown.append)
    assert shown == [
        f"validating [{i}/{len(checked)}] {path.relative_to(folder)}"
        for i, path in enumerate(checked, start=1)
    ]
    assert len(checked) > 1
