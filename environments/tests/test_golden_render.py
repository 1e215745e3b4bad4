"""The dev environment's rendered templates equal the checked-in golden files, byte for byte, whatever the
hash seed of the process that renders them (set or dict-of-hash ordering would differ between seeds)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from environments.golden_render import (
    GOLDEN_ENVIRONMENT,
    GOLDEN_ROOT,
    differences,
    scratch_dir,
    update_command,
    update_golden,
)
from environments.render import REPO_ROOT, render_environment


@pytest.mark.parametrize("seed", random.sample(range(1, 2**32), 2))  # two different seeds every run
def test_render_in_a_fresh_process_matches_the_golden_files(seed: int) -> None:
    golden = GOLDEN_ROOT / GOLDEN_ENVIRONMENT
    assert golden.is_dir(), (
        f"no golden files in {golden}; create them with `{update_command(GOLDEN_ENVIRONMENT)}`"
    )
    out = scratch_dir(GOLDEN_ENVIRONMENT, f"seed-{seed}-{os.getpid()}")
    shutil.rmtree(out, ignore_errors=True)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "environments", "render", GOLDEN_ENVIRONMENT, "--out", str(out)],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"render failed (PYTHONHASHSEED={seed}):\n{done.stderr}"
        found = differences(golden, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    assert not found, (
        f"the {GOLDEN_ENVIRONMENT} render (PYTHONHASHSEED={seed}) differs from {golden.relative_to(REPO_ROOT)}:\n"
        + "\n".join(found)
        + f"\n\nIf the change is intended, regenerate the golden files and review their diff:\n"
        f"    {update_command(GOLDEN_ENVIRONMENT)}"
    )


def test_differences_name_the_file_and_show_the_changed_lines(tmp_path: Path) -> None:
    golden, rendered = tmp_path / "golden", tmp_path / "rendered"
    for tree in (golden, rendered):
        (tree / "ml").mkdir(parents=True)
        (tree / "ml" / "same.yml").write_text("a: 1\n")
    (golden / "ml" / "changed.json").write_text('{\n  "sku": "S1",\n  "count": 2\n}\n')
    (rendered / "ml" / "changed.json").write_text('{\n  "count": 2,\n  "sku": "S1"\n}\n')
    (golden / "ml" / "gone.yml").write_text("x: 1\n")
    (rendered / "ml" / "new.yml").write_text("y: 1\n")
    (golden / "ml" / "newline.yml").write_text("z: 1\n")
    (rendered / "ml" / "newline.yml").write_text("z: 1")

    found = differences(golden, rendered)

    assert "missing from the render: ml/gone.yml" in found
    assert "not in the golden files: ml/new.yml" in found
    assert "--- golden/ml/changed.json" in found
    assert '-  "sku": "S1",' in found and '+  "sku": "S1"' in found
    assert "(same lines; the bytes differ)" in found
    assert not [line for line in found if "same.yml" in line]
    assert differences(golden, golden) == []


def test_update_golden_rewrites_the_files_from_a_fresh_render(tmp_path: Path) -> None:
    # A copy of the repository's inputs, so the real golden files stay as they are.
    for domain in ("environments", "ml", "streaming", "export", "monitoring"):
        shutil.copytree(
            REPO_ROOT / domain,
            tmp_path / domain,
            ignore=shutil.ignore_patterns("tests", "__pycache__", "node_modules"),
        )
    stale = tmp_path / "environments" / "tests" / "golden" / GOLDEN_ENVIRONMENT / "stale.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("left from an older render\n")

    target = update_golden(GOLDEN_ENVIRONMENT, root=tmp_path)

    assert not stale.exists()
    fresh = render_environment(
        GOLDEN_ENVIRONMENT, root=tmp_path, out=scratch_dir(GOLDEN_ENVIRONMENT, "x", tmp_path)
    )
    assert fresh
    assert differences(target, scratch_dir(GOLDEN_ENVIRONMENT, "x", tmp_path)) == []
