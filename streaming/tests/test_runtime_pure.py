"""Pure parts of the runtime: blob path patterns, the project reader, the checkpoint file, the generator."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from environments.loader import load_environment
from environments.render import render_environment
from streaming import aliases
from streaming.producer import EventGenerator
from streaming.runtime import (
    Checkpoint,
    Endpoint,
    FileCheckpointStore,
    ProjectError,
    RunError,
    Runner,
    load_project,
)
from streaming.runtime.path_pattern import blob_folder, blob_name, blob_sequence, static_prefix


@pytest.fixture(scope="module")
def rendered_local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render-local")
    render_environment("local", out=out)
    return out / "streaming" / "asa"


def test_path_pattern_fills_date_and_time() -> None:
    when = datetime(2026, 3, 7, 9, 30, tzinfo=UTC)
    assert blob_folder("scored/{date}/{time}", "yyyy/MM/dd", "HH", when) == "scored/2026/03/07/09"
    assert blob_name("scored/2026/03/07/09", 42) == "scored/2026/03/07/09/000000000042.json"


def test_blob_names_give_back_their_cycle_number() -> None:
    assert static_prefix("deadletter/{date}/{time}") == "deadletter/"
    name = blob_name(
        blob_folder("scored/{date}/{time}", "yyyy/MM/dd", "HH", datetime(2026, 1, 2, 3, tzinfo=UTC)), 42
    )
    assert blob_sequence(name) == 42
    assert blob_sequence("scored/2026/01/02/03/notes.json") is None


def test_path_pattern_refuses_unknown_tokens() -> None:
    with pytest.raises(ProjectError, match=r"\{partition\}"):
        blob_folder("x/{partition}", "yyyy/MM/dd", "HH", datetime(2026, 1, 1, tzinfo=UTC))


def test_project_reader_reads_the_rendered_project(rendered_local: Path) -> None:
    env = load_environment("local")
    project = load_project(rendered_local)
    assert project.query.strip()
    assert [i.alias for i in project.inputs] == [aliases.INPUT_TRANSACTIONS]
    assert project.inputs[0].hub == env.event_hubs.input_hub
    assert project.inputs[0].partitions == env.event_hubs.partitions
    assert [o.alias for o in project.eventhub_outputs] == [aliases.OUTPUT_SCORED_EVENTHUB]
    assert {o.alias for o in project.blob_outputs} == {
        aliases.OUTPUT_SCORED_BLOB,
        aliases.OUTPUT_DEADLETTER,
        aliases.OUTPUT_CATEGORY_AGGREGATES,
    }
    assert project.functions[0].batch_size == env.stream_analytics.function_batch_size
    assert project.job.late_arrival_max_delay_s == env.stream_analytics.late_arrival_max_delay_s


def test_project_reader_names_the_missing_file(rendered_local: Path, tmp_path: Path) -> None:
    copy = tmp_path / "asa"
    shutil.copytree(rendered_local, copy)
    (copy / "Outputs" / f"{aliases.OUTPUT_DEADLETTER}.json").unlink()
    with pytest.raises(
        ProjectError, match=rf"{aliases.OUTPUT_DEADLETTER}\.json: listed by asaproj.json but missing"
    ):
        load_project(copy)


def test_project_reader_names_the_missing_key(rendered_local: Path, tmp_path: Path) -> None:
    copy = tmp_path / "asa"
    shutil.copytree(rendered_local, copy)
    path = copy / "Inputs" / f"{aliases.INPUT_TRANSACTIONS}.json"
    document = json.loads(path.read_text())
    del document["EventHubProperties"]["EventHubName"]
    path.write_text(json.dumps(document))
    with pytest.raises(ProjectError, match="missing key EventHubName"):
        load_project(copy)


def test_checkpoint_round_trip_and_journal(tmp_path: Path) -> None:
    store = FileCheckpointStore(tmp_path / "job.checkpoint.json")
    assert store.load() is None
    store.save(Checkpoint(query_sha="abc", offsets={0: 10, 3: 7}, sequence=5, engine={"version": 1}))
    loaded = store.load()
    assert loaded == Checkpoint(query_sha="abc", offsets={0: 10, 3: 7}, sequence=5, engine={"version": 1})
    store.begin([("c", "a/000000000005.json")])
    assert store.pending_blobs() == [("c", "a/000000000005.json")]
    store.end()
    assert store.pending_blobs() == []


def test_generator_follows_the_schema_and_is_seeded() -> None:
    schema = load_environment("local").data_schema()
    when = datetime(2026, 1, 1, tzinfo=UTC)
    first = list(EventGenerator(schema, seed=3).events(200, when))
    assert first == list(EventGenerator(schema, seed=3).events(200, when))
    for event in first:
        for feature in schema.features:
            value = event[feature.name]
            if feature.is_numeric:
                assert feature.min <= value <= feature.max
            elif feature.type == "category":
                assert value in feature.categories
        assert event[schema.time_column] == "2026-01-01T00:00:00.0000000Z"


def test_run_names_the_missing_project(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "streaming", "run", "local", "--project", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "nowhere/asaproj.json" in result.stderr


def test_a_checkpoint_of_another_input_is_refused(rendered_local: Path, tmp_path: Path) -> None:
    project = load_project(rendered_local)
    store = FileCheckpointStore(tmp_path / "job.checkpoint.json")
    store.save(Checkpoint(query_sha="0" * 16, offsets={0: 5}))
    with pytest.raises(RunError, match="belongs to another query or input"):
        Runner(project, {"bootstrap.servers": "127.0.0.1:1"}, None, Endpoint(None), store.path)
