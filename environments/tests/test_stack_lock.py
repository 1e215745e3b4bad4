"""One local stack per checkout's rendered folder: a second `deploy local` (another state folder and
ports) is refused in one line naming the first stack's process and state folder, before it renders over
the first stack's endpoint URL; the lock goes with the first stack's process, however it ends."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from environments.deploy.command import deploy
from environments.deploy.stack_lock import LOCK_FILE, hold_rendered_folder
from environments.loader import ENVIRONMENTS_DIR

HOLDER = """
import sys
from pathlib import Path
from environments.deploy.stack_lock import hold_rendered_folder
with hold_rendered_folder(Path(sys.argv[1]), Path(sys.argv[2])):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout with the environment files only: nothing can render there, so a refusal is seen."""
    (tmp_path / "environments").mkdir()
    for name in ("base.yml", "local.yml"):
        shutil.copy(ENVIRONMENTS_DIR / name, tmp_path / "environments" / name)
    shutil.copytree(ENVIRONMENTS_DIR / "schemas", tmp_path / "environments" / "schemas")
    return tmp_path


def _hold(build: Path, state: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(build), str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_second_stack_is_refused_naming_the_first(
    checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first_state = tmp_path / "first-state"
    holder = _hold(checkout / "build" / "local", first_state)
    try:
        assert deploy("local", once=True, events=10, root=checkout) == 1
    finally:
        holder.kill()
        holder.wait()
    errors = [line for line in capsys.readouterr().out.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {checkout / 'build' / 'local'} is in use by the local stack of process {holder.pid} "
        f"(state folder {first_state}): one stack per checkout (a second would read the first's "
        "rendered endpoint URL); stop that stack first"
    ]
    assert sorted(p.name for p in (checkout / "build" / "local").iterdir()) == [LOCK_FILE]  # nothing rendered


def test_the_lock_goes_with_a_killed_stack(tmp_path: Path) -> None:
    build = tmp_path / "build" / "local"
    holder = _hold(build, tmp_path / "first")
    holder.kill()
    holder.wait()
    with hold_rendered_folder(build, tmp_path / "second"):
        assert (build / LOCK_FILE).read_text().startswith("process ")


def test_render_under_a_running_stack_is_refused_and_rewrites_nothing(tmp_path: Path) -> None:
    """`python -m environments render local` while a stack runs would rewrite the ASA project and endpoint
    URL that stack reads: refused naming the stack; `--out DIR` still renders elsewhere."""
    from environments.deploy.stack_lock import StackInUseError, hold_for_render

    build = tmp_path / "build" / "local"
    holder = _hold(build, tmp_path / "first-state")
    try:
        refused = pytest.raises(
            StackInUseError, match=f"process {holder.pid} .*render into --out DIR instead"
        )
        with refused, hold_for_render(build):
            (build / "written").touch()
    finally:
        holder.kill()
        holder.wait()
    assert not (build / "written").exists()
    with hold_for_render(build):  # the stack is gone: rendering goes ahead
        (build / "written").touch()
    assert (build / "written").exists()
