"""Find and load the MLflow model that azmlinfsrv mounts under `AZUREML_MODEL_DIR`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ml.scoring.errors import ScoringConfigError

MLMODEL_FILE = "MLmodel"


def find_model_dir(root: str | os.PathLike[str] | None) -> Path:
    """The MLflow model folder: `root` itself or its one sub-folder holding an `MLmodel` file.

    Azure ML mounts a registered model at `AZUREML_MODEL_DIR/<model folder>/`; a local server may point
    `AZUREML_MODEL_DIR` at the model folder directly. Both work.
    """
    if not root:
        raise ScoringConfigError("AZUREML_MODEL_DIR is not set: the server gives the model folder in it")
    base = Path(root)
    if (base / MLMODEL_FILE).is_file():
        return base.resolve()  # MLflow refuses a model folder reached through a link
    found = sorted({path.parent for pattern in ("*/MLmodel", "*/*/MLmodel") for path in base.glob(pattern)})
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise ScoringConfigError(
            f"{base}: expected one MLflow model folder (with {MLMODEL_FILE}), found {what}"
        )
    return found[0].resolve()


def load_model(model_dir: Path) -> Any:
    """The scikit-learn pipeline inside the MLflow model folder (no pyfunc wrapper: it slows batches)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow.sklearn

    try:
        return mlflow.sklearn.load_model(str(model_dir))
    except Exception as exc:  # MLflow raises many types; all mean the same thing here
        raise ScoringConfigError(f"{model_dir}: cannot load the MLflow sklearn model: {exc}") from exc
