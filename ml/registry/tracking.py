"""The local MLflow tracking server and model registry: SQLite at `<state>/mlflow/mlflow.db`, artifacts beside.

Azure ML workspaces are MLflow servers, so the components use the MLflow API unchanged in both places.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient

MLFLOW_DIR = "mlflow"


def tracking_uri(state: Path) -> str:
    return f"sqlite:///{(state / MLFLOW_DIR / 'mlflow.db').resolve()}"


def artifact_location(state: Path) -> str:
    return (state / MLFLOW_DIR / "artifacts").resolve().as_uri()


def client(state: Path) -> MlflowClient:
    """An MLflow client on the local store, creating the folder on first use (MLflow is imported lazily)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    (state / MLFLOW_DIR).mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=tracking_uri(state), registry_uri=tracking_uri(state))


def experiment_id(state: Path, name: str) -> str:
    """The experiment's id, created with its artifacts under the state folder if it does not exist."""
    store = client(state)
    found = store.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(store.create_experiment(name, artifact_location=artifact_location(state)))
