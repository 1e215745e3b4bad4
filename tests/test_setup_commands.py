"""The README's set-up: two one-line commands through `tools/nox.py`, which CI runs too, and a launcher
that makes its own tools environment without installing into the interpreter that runs it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_COMMAND = re.compile(r"^    (python3 tools/nox\.py -s \S+)$", re.MULTILINE)


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    return README_COMMAND.findall(section)


def test_readme_has_one_line_commands_for_the_loop_and_the_tests() -> None:
    assert _readme_commands() == ["python3 tools/nox.py -s deploy-local", "python3 tools/nox.py -s tests"]


def test_ci_runs_the_readme_test_command() -> None:
    tests_command = _readme_commands()[1]
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests_command in lines
    assert not any("pip install" in line for line in lines)


def test_tools_environment_is_not_committed() -> None:
    assert ".venv-tools/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


@pytest.mark.slow
def test_launcher_makes_its_tools_environment_once_and_runs_the_pinned_nox(tmp_path: Path) -> None:
    """Installs the pinned nox from the package index into `<copy>/.venv-tools`, then reuses it."""
    (tmp_path / "tools").mkdir()
    for name in ("nox.py", "bootstrap.txt"):
        shutil.copyfile(ROOT / "tools" / name, tmp_path / "tools" / name)
    pinned = re.search(r"^nox==(\S+)$", (ROOT / "tools" / "bootstrap.txt").read_text(), re.MULTILINE)
    assert pinned
    command = [sys.executable, str(tmp_path / "tools" / "nox.py"), "--version"]

    first = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    # nox prints its version on stderr
    assert first.stderr.splitlines()[-1] == pinned.group(1)
    assert (tmp_path / ".venv-tools" / "bin" / "uv").is_file()
    assert "-m venv" in first.stderr

    second = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert second.returncode == 0, second.stderr
    assert second.stderr.splitlines()[-1] == pinned.group(1)
    assert "-m venv" not in second.stderr
