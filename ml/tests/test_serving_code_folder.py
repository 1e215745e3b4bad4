"""The staged code folder runs on its own: score.py's modules and the inference log import from it alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ml.serving.code_folder import ENTRY_SCRIPT, stage_code

# Takes the repository off the path (the folder stands in its place), imports every module a deployment runs
# (score.py itself needs the server's model folder, so its siblings stand for it), names their files.
_PROBE = """
import importlib, os, pkgutil, sys
folder = sys.argv[1]
sys.path[:] = [folder] + [p for p in sys.path if p and not os.path.isdir(os.path.join(p, "environments"))]
names = ["monitoring.telemetry", "environments.inference_log", "environments.telemetry_variables"]
names += [f"ml.scoring.{m.name}" for m in pkgutil.iter_modules([folder + "/ml/scoring"]) if m.name != "score"]
for name in names:
    print(importlib.import_module(name).__file__)
"""


def test_staged_folder_imports_the_scoring_code_from_itself(tmp_path: Path) -> None:
    folder = stage_code(tmp_path / "code")
    assert (folder / ENTRY_SCRIPT).is_file()
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    files = [Path(line) for line in result.stdout.split()]
    assert len(files) > 3
    assert all(file.is_relative_to(folder) for file in files), files
