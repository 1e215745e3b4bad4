"""Assemble the code folder a deployment runs: score.py with the modules it imports, nothing else.

Layout (the same locally and in Azure ML, where it is the deployment's `code_configuration.code`):

    <folder>/ml/__init__.py, ml/errors.py
    <folder>/ml/scoring/*.py          score.py is ml/scoring/score.py
    <folder>/monitoring/__init__.py, monitoring/errors.py
    <folder>/monitoring/telemetry/*   the one module that configures the inference log exporter
    <folder>/environments/__init__.py, environments/telemetry_variables.py   the variables it reads
    <folder>/environments/inference_log.py   the inference record's columns it checks
    <folder>/environments/atomic_files.py    the atomic JSON write (published swagger files)

The data schema is not copied: it travels inside the model folder (`data_schema.json`), so a
deployment always validates against the schema its model was trained on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ml.serving.errors import ServingError

REPO_ROOT = Path(__file__).resolve().parents[2]
ENTRY_SCRIPT = "ml/scoring/score.py"
_PACKAGES = ("ml/scoring", "monitoring/telemetry")
_PACKAGE_MARKERS = (
    "ml/__init__.py",
    "ml/errors.py",
    "monitoring/__init__.py",
    "monitoring/errors.py",
    "environments/__init__.py",
    "environments/telemetry_variables.py",  # the variables monitoring.telemetry reads (a contract)
    "environments/inference_log.py",  # the inference record's columns (a contract)
    "environments/atomic_files.py",  # the atomic JSON write published_swagger uses
)


SCORE_CODE_SOURCES = (
    *_PACKAGES,
    *_PACKAGE_MARKERS,
)  # what the folder holds (its content version hashes them)


def stage_code(folder: Path, root: Path = REPO_ROOT) -> Path:
    """Replace `folder` with a fresh copy of the scoring code; returns `folder`."""
    shutil.rmtree(folder, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tests")
    try:
        for package in _PACKAGES:
            shutil.copytree(root / package, folder / package, ignore=ignore)
        for marker in _PACKAGE_MARKERS:
            (folder / marker).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / marker, folder / marker)
    except OSError as exc:
        raise ServingError(f"cannot assemble the scoring code folder {folder}: {exc}") from exc
    return folder
