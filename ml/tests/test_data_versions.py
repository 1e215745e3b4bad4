"""Training data versions: the generator seeds version 1, labelled feedback registers version N+1 (the
previous rows with the feedback's), the same content is never a new version, and training reads the
newest version (locally; on Azure the numbers come from the workspace's data asset, read through
azure-ai-ml against the simulated control plane)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from azure.ai.ml import MLClient

from environments.azure_sim import SimulatedAzure, SimulatedTransport, StaticCredential
from environments.model import Environment
from ml.cli.data import write_frame
from ml.data import generator, store, versions
from ml.data.errors import DataError
from ml.pipeline.azure_submit import workspace_data_versions
from ml.pipeline.training import train_local, training_data

ROWS = 400


def _feedback(env: Environment, path: Path, rows: int, seed: int) -> pd.DataFrame:
    """Scored transactions whose labels were confirmed afterwards (ids not in the training data)."""
    frame = generator.generate(env.data_schema(), rows, seed)
    schema = env.data_schema()
    frame[schema.id_column] = [f"feedback-{seed}-{i}" for i in range(rows)]
    # the feedback contract names the id and time as the inference log does (ml/data/feedback.py)
    write_frame(frame.rename(columns={schema.id_column: "request_id", schema.time_column: "time"}), path)
    return frame


def test_next_version_is_the_one_with_that_content_or_one_more() -> None:
    known = [
        versions.DataVersion(1, "sha256:a", 10, "generated"),
        versions.DataVersion(2, "sha256:b", 12, "x"),
    ]
    assert versions.next_version([], "sha256:a") == (1, True)
    assert versions.next_version(known, "sha256:b") == (2, False)
    assert versions.next_version(known, "sha256:c") == (3, True)


def test_feedback_registers_the_next_version_and_training_reads_it(
    tmp_path: Path, local_environment: Environment
) -> None:
    env, state = local_environment, tmp_path / "state"
    store.prepare(env, state, rows=ROWS)
    first = training_data(env, state)
    assert versions.registered(state)[0].version == 1 and first.rows == ROWS
    assert training_data(env, state).fingerprint == first.fingerprint, "the same data: still version 1"
    assert [v.version for v in versions.registered(state)] == [1]

    feedback = _feedback(env, tmp_path / "labelled.csv", 50, seed=11)
    second = versions.register_feedback(state, env.data_schema(), tmp_path / "labelled.csv")
    assert (second.version.version, second.version.rows) == (2, ROWS + 50)
    assert (second.new, second.feedback_rows, second.new_rows) == (True, 50, 50)
    trained_on = training_data(env, state)
    assert trained_on.path == versions.version_dir(state, 2) / store.TRAINING_FILE
    rows = pd.read_parquet(trained_on.path)
    ids = set(rows[env.data_schema().id_column])
    assert set(feedback[env.data_schema().id_column]) <= ids, "every feedback row is in version 2"
    assert len(pd.read_parquet(versions.version_dir(state, 1) / store.TRAINING_FILE)) == ROWS, (
        "version 1 is kept as it was"
    )
    again = versions.register_feedback(state, env.data_schema(), tmp_path / "labelled.csv")
    assert (again.version.version, again.new, again.new_rows) == (2, False, 0), (
        "the same feedback again is no new version"
    )


def test_feedback_needs_a_first_version(tmp_path: Path, local_environment: Environment) -> None:
    _feedback(local_environment, tmp_path / "labelled.csv", 5, seed=3)
    with pytest.raises(DataError, match="no training data version yet"):
        versions.register_feedback(
            tmp_path / "state", local_environment.data_schema(), tmp_path / "labelled.csv"
        )


WORKSPACE = "resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"


def test_the_workspace_data_asset_s_versions_give_the_next_number() -> None:
    azure = SimulatedAzure()
    azure.arrange("resourceGroups/rg", {"name": "rg", "location": "westeurope"})
    azure.arrange(WORKSPACE, {"name": "ws", "location": "westeurope", "properties": {}})
    for number, fingerprint in ((1, "sha256:aa"), (2, "sha256:bb")):
        azure.arrange(
            f"{WORKSPACE}/data/card-fraud-training-data/versions/{number}",
            {
                "name": str(number),
                "properties": {
                    "dataType": "uri_file",
                    "dataUri": f"azureml://datastores/workspaceblobstore/paths/training/{number}.parquet",
                    "tags": {"fingerprint": fingerprint, "rows": "100", "source": "generated"},
                },
            },
        )
    client = MLClient(
        StaticCredential(), azure.subscription_id, "rg", "ws", transport=SimulatedTransport(azure)
    )
    known = workspace_data_versions(client, "card-fraud-training-data")
    assert [(v.version, v.fingerprint) for v in known] == [(1, "sha256:aa"), (2, "sha256:bb")]
    assert versions.next_version(known, "sha256:cc") == (3, True)
    assert versions.next_version(known, "sha256:aa") == (1, False)


@pytest.mark.slow
def test_a_retrain_trains_on_the_feedback_version(tmp_path: Path, local_environment: Environment) -> None:
    """The local pipeline (MLflow) trains on version 2 once feedback is registered."""
    from environments.render import render_environment
    from ml.registry.manifest import read_manifest

    env, state = local_environment, tmp_path / "state"
    store.prepare(env, state, rows=2000)
    render_environment("local", out=tmp_path / "build")
    pipeline = tmp_path / "build" / "ml" / "azureml" / "pipelines" / "training.yml"
    _feedback(env, tmp_path / "labelled.csv", 200, seed=21)
    versions.register_feedback(state, env.data_schema(), tmp_path / "labelled.csv")
    log: list[str] = []
    train_local(env, state, pipeline, progress=log.append)
    assert any(line.startswith("training data version 2: ") and "2200 rows" in line for line in log), log
    assert read_manifest(state)["version"]
