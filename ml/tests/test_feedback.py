"""Labelled feedback (ml/data/feedback.py, decision 0018): files in the environment's feedback container
become the next training data version; a bad row is refused naming the file, row and column, and nothing
accepted is lost; a rerun registers nothing new. The container is read in the real Azurite stand-in."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pandas as pd
import pytest
from azure.storage.blob import BlobServiceClient

from environments.model import Environment
from ml.cli import data as data_cli
from ml.data import feedback, generator, store, versions
from ml.data.errors import DataValidationError
from ml.data.feedback_store import BLOB_CONNECTION_STRING_VAR

ROWS = 300


def _labelled(env: Environment, rows: int, seed: int) -> pd.DataFrame:
    """Scored rows whose labels were confirmed, in the feedback contract's columns."""
    schema = env.data_schema()
    frame = generator.generate(schema, rows, seed)
    frame[schema.id_column] = [f"req-{seed}-{i}" for i in range(rows)]
    return frame.rename(columns={schema.id_column: "request_id", schema.time_column: "time"})[
        feedback.feedback_columns(schema)
    ]


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_a_bad_row_is_refused_naming_the_file_row_and_contract_column(local_environment: Environment) -> None:
    frame = _labelled(local_environment, 5, seed=1).astype(object)  # as a CSV file reads: any text
    frame.loc[2, "request_id"] = None
    frame.loc[3, "amount"] = "lots"
    with pytest.raises(DataValidationError) as caught:
        feedback.training_rows(frame, local_environment.data_schema(), Path("feedback/day-1.csv"))
    problems = "\n".join(caught.value.problems)
    assert "feedback/day-1.csv: column request_id: row 3" in problems
    assert "feedback/day-1.csv: column amount: row 4" in problems


def test_a_file_without_the_contract_columns_is_refused(local_environment: Environment) -> None:
    frame = _labelled(local_environment, 5, seed=1).drop(columns=["time", "is_fraud"])
    with pytest.raises(DataValidationError, match="missing feedback column\\(s\\): time, is_fraud"):
        feedback.training_rows(frame, local_environment.data_schema(), Path("f.csv"))


def test_merge_counts_only_rows_that_change_the_data(local_environment: Environment) -> None:
    schema = local_environment.data_schema()
    previous = generator.generate(schema, 50, seed=4)
    repeated = previous.iloc[:10].copy()
    relabelled = previous.iloc[10:12].copy()
    relabelled[schema.label] = ~relabelled[schema.label]
    merged = feedback.merge(previous, [repeated, relabelled], schema)
    assert (merged.feedback_rows, merged.new_rows, len(merged.frame)) == (12, 2, 50)
    assert feedback.merge(previous, [repeated], schema).frame is previous, "nothing new: same data"


@pytest.fixture
def feedback_container(azurite, local_environment: Environment, monkeypatch: pytest.MonkeyPatch):
    """A fresh feedback container in the Azurite stand-in, which the environment reads through the
    blob connection string variable (the local loop's way of naming its blob store)."""
    name = f"feedback-{uuid.uuid4().hex[:8]}"
    env = local_environment.model_copy(
        update={"storage": local_environment.storage.model_copy(update={"feedback_container": name})}
    )
    monkeypatch.setenv(BLOB_CONNECTION_STRING_VAR, azurite.connection_string)
    monkeypatch.setattr(data_cli, "load_environment", lambda _name: env)
    client = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(name)
    yield env, client
    if client.exists():
        client.delete_container()


def _register(state: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = data_cli.main(["local", "--feedback-container", "--state-dir", str(state)])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else {}), err


@pytest.mark.services
def test_feedback_in_the_container_becomes_the_next_version_once(
    tmp_path: Path, feedback_container, capsys: pytest.CaptureFixture[str]
) -> None:
    env, client = feedback_container
    state = tmp_path / "state"
    versions.register(state, store.prepare(env, state, rows=ROWS))

    code, record, _ = _register(state, capsys)
    assert (code, record["version"], record["new_version"], record["feedback_rows"]) == (0, 1, False, 0)
    assert "does not exist yet" in record["note"], "no container yet is said, not hidden"

    client.create_container()
    day1, day2 = _labelled(env, 40, seed=7), _labelled(env, 25, seed=8)
    client.upload_blob("2026-01-01/labels.csv", _csv(day1))
    buffer = io.StringIO()
    day2.to_json(buffer, orient="records", lines=True, date_format="iso")
    client.upload_blob("2026-01-02/labels.jsonl", buffer.getvalue().encode())
    bad = _labelled(env, 3, seed=9).astype(object)
    bad.loc[1, "is_fraud"] = "maybe"
    client.upload_blob("2026-01-03/labels.csv", _csv(bad))

    code, _, err = _register(state, capsys)
    assert code == 1
    assert "2026-01-03/labels.csv: column is_fraud: row 2 (line 3)" in err
    assert [v.version for v in versions.registered(state)] == [1], "a refused file registers nothing"
    assert len(list(client.list_blobs())) == 3, "no feedback blob is removed"

    client.delete_blob("2026-01-03/labels.csv")
    code, record, _ = _register(state, capsys)
    assert (code, record["version"], record["new_version"]) == (0, 2, True)
    assert (record["feedback_rows"], record["new_feedback_rows"], record["rows"]) == (65, 65, ROWS + 65)
    trained = pd.read_parquet(versions.latest(state)[1].path)
    assert set(day1["request_id"]) | set(day2["request_id"]) <= set(trained[env.data_schema().id_column])

    code, record, _ = _register(state, capsys)
    assert (code, record["version"], record["new_version"], record["new_feedback_rows"]) == (0, 2, False, 0)
    assert [v.version for v in versions.registered(state)] == [1, 2], "a rerun registers no new version"
