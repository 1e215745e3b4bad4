"""Golden rendered files: one environment's rendered templates, checked in, compared byte for byte.

`environments/tests/test_golden_render.py` renders the environment in fresh processes with different
`PYTHONHASHSEED`s, so output whose order follows set or hash order is caught, as well as any template
change nobody looked at. `python -m environments render dev --update-golden` rewrites the files after an
intended change; review their diff like code.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from environments.render import REPO_ROOT, build_dir, render_environment

GOLDEN_ENVIRONMENT = "dev"
GOLDEN_ROOT = REPO_ROOT / "environments" / "tests" / "golden"
MAX_DIFF_LINES = 40


def update_command(env_name: str) -> str:
    return f"python -m environments render {env_name} --update-golden"


def scratch_dir(env_name: str, tag: str, root: Path = REPO_ROOT) -> Path:
    """A render folder at the depth of `build/<env>/`, since rendered files hold paths relative to the
    repository root (Azure ML `code:`), so the output matches what `render` writes there."""
    return build_dir(f".golden-{env_name}-{tag}", root)


def differences(expected: Path, actual: Path) -> list[str]:
    """What differs between two rendered trees: missing and extra files, and a unified diff of each
    changed file (cut to MAX_DIFF_LINES per file). Empty when they are byte-for-byte equal."""
    want = {p.relative_to(expected).as_posix() for p in expected.rglob("*") if p.is_file()}
    have = {p.relative_to(actual).as_posix() for p in actual.rglob("*") if p.is_file()}
    found = [f"missing from the render: {name}" for name in sorted(want - have)]
    found += [f"not in the golden files: {name}" for name in sorted(have - want)]
    for name in sorted(want & have):
        old, new = (expected / name).read_bytes(), (actual / name).read_bytes()
        if old == new:
            continue
        diff = list(
            difflib.unified_diff(
                old.decode("utf-8", "replace").splitlines(),
                new.decode("utf-8", "replace").splitlines(),
                f"golden/{name}",
                f"rendered/{name}",
                lineterm="",
            )
        )
        if not diff:  # same lines, other bytes (line endings, a final newline)
            diff = [f"--- golden/{name}", f"+++ rendered/{name}", "(same lines; the bytes differ)"]
        cut = len(diff) - MAX_DIFF_LINES
        found += diff[:MAX_DIFF_LINES] + ([f"... {cut} more diff lines"] if cut > 0 else [])
    return found


def update_golden(env_name: str, root: Path = REPO_ROOT) -> Path:
    """Render `env_name` and replace its golden files with the result; returns their folder."""
    scratch = scratch_dir(env_name, f"update-{os.getpid()}", root)
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        render_environment(env_name, root=root, out=scratch)
        target = root / GOLDEN_ROOT.relative_to(REPO_ROOT) / env_name
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target
