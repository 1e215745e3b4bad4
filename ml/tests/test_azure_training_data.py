"""Which data asset version an Azure (re)training reads (ml/pipeline/azure_training_data.py): the seed is
version 1, new labelled feedback makes the next version from the newest one, and a rerun with the same
feedback registers nothing. The workspace's versions and the downloaded file are in memory here (the
container reader is tested against Azurite in test_feedback.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from environments.model import Environment
from ml.data import feedback, generator, store
from ml.data.errors import DataError
from ml.data.feedback_store import FeedbackFiles
from ml.data.versions import DataVersion
from ml.pipeline.azure_training_data import azure_data

ROWS = 200


class Workspace:
    """The data asset's versions as the workspace keeps them: number -> uploaded file."""

    def __init__(self) -> None:
        self.files: dict[int, Path] = {}
        self.fingerprints: dict[int, str] = {}
        self.downloads = 0

    def versions(self) -> list[DataVersion]:
        return [DataVersion(n, self.fingerprints[n], 0, "") for n in sorted(self.files)]

    def register(self, number: int, data: store.TrainingData, folder: Path) -> None:
        kept = folder / f"v{number}.parquet"
        kept.write_bytes(data.path.read_bytes())
        self.files[number], self.fingerprints[number] = kept, data.fingerprint

    def download(self, version: DataVersion, folder: Path) -> Path:
        self.downloads += 1
        return self.files[version.version]


def _files(env: Environment, *frames: pd.DataFrame) -> FeedbackFiles:
    schema = env.data_schema()
    rows = [
        feedback.training_rows(frame, schema, Path(f"feedback/{i}.csv")) for i, frame in enumerate(frames)
    ]
    return FeedbackFiles("acct/feedback", [f"{i}.csv" for i in range(len(frames))], rows)


def _labelled(env: Environment, rows: int, seed: int) -> pd.DataFrame:
    schema = env.data_schema()
    frame = generator.generate(schema, rows, seed)
    frame[schema.id_column] = [f"req-{seed}-{i}" for i in range(rows)]
    return frame.rename(columns={schema.id_column: "request_id", schema.time_column: "time"})


def test_retraining_reads_the_newest_version_plus_new_feedback_once(
    tmp_path: Path, local_environment: Environment
) -> None:
    env, state, workspace = local_environment, tmp_path / "state", Workspace()
    schema = env.data_schema()

    def run(feedback_files: FeedbackFiles, with_seed: bool = False):
        seed = (lambda: store.prepare(env, state, rows=ROWS)) if with_seed or not workspace.files else None
        data = azure_data(
            workspace.versions(), seed, workspace.download, lambda: feedback_files, state, schema
        )
        if data.upload is not None:
            workspace.register(data.version, data.upload, tmp_path)
        return data

    empty = FeedbackFiles("acct/feedback", [], [])
    first = run(empty)
    assert (first.version, first.upload is not None, first.feedback_rows) == (1, True, 0)
    again = run(empty)
    assert (again.version, again.upload, workspace.downloads) == (1, None, 0), "nothing to merge: no download"

    labels = _labelled(env, 30, seed=5)
    second = run(_files(env, labels))
    assert (second.version, second.feedback_rows, second.new_feedback_rows) == (2, 30, 30)
    assert len(pd.read_parquet(workspace.files[2])) == ROWS + 30
    assert second.record()["base"] == "version 1"

    rerun = run(_files(env, labels))
    assert (rerun.version, rerun.upload, rerun.feedback_rows, rerun.new_feedback_rows) == (2, None, 30, 0)

    more = run(_files(env, labels, _labelled(env, 10, seed=6)))
    assert (more.version, more.new_feedback_rows) == (3, 10)
    assert len(pd.read_parquet(workspace.files[3])) == ROWS + 40, "version 3 keeps version 2's feedback"


def test_no_version_and_no_seed_is_an_error(tmp_path: Path, local_environment: Environment) -> None:
    with pytest.raises(DataError, match="no data asset version yet"):
        azure_data(
            [],
            None,
            Workspace().download,
            lambda: FeedbackFiles("a/f", [], []),
            tmp_path,
            local_environment.data_schema(),
        )
