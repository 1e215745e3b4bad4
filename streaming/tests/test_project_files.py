"""The rendered ASA project (VS Code format): consistent files, values from the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.loader import load_environment
from environments.render import render_environment
from streaming import aliases


@pytest.fixture(scope="module", params=["local", "dev", "prod"])
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp(f"render-{request.param}")
    render_environment(request.param, out=out)
    return request.param, out / "streaming" / "asa"


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_listed_file_exists_and_every_file_is_listed(project: tuple[str, Path]) -> None:
    _, folder = project
    asaproj = _read(folder / "asaproj.json")
    listed = {entry["filePath"] for entry in asaproj["configurations"]}
    assert (folder / asaproj["startFile"]).is_file(), "the query (startFile) was not rendered"
    missing = sorted(p for p in listed if not (folder / p).is_file())
    assert missing == []
    on_disk = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*.json")
        if p.name != "asaproj.json" and p.relative_to(folder).parts[0] != "test"
    }
    assert on_disk - listed == set(), "files on disk that asaproj.json does not list"


def test_script_types_match_configuration_subtypes(project: tuple[str, Path]) -> None:
    _, folder = project
    for entry in _read(folder / "asaproj.json")["configurations"]:
        assert _read(folder / entry["filePath"])["ScriptType"] == entry["subType"], entry["filePath"]


def test_aliases_are_the_shared_constants(project: tuple[str, Path]) -> None:
    _, folder = project
    assert sorted(_read(p)["Name"] for p in (folder / "Inputs").glob("*.json")) == sorted(aliases.INPUTS)
    assert sorted(_read(p)["Name"] for p in (folder / "Outputs").glob("*.json")) == sorted(aliases.OUTPUTS)
    assert sorted(_read(p)["Name"] for p in (folder / "Functions").glob("*.json")) == sorted(
        aliases.FUNCTIONS
    )


def test_job_config_comes_from_the_environment(project: tuple[str, Path]) -> None:
    name, folder = project
    settings = load_environment(name).stream_analytics
    config = _read(folder / "JobConfig.json")
    assert config["ScriptType"] == "JobConfig"
    assert config["Sku"] == {"Name": "Standard", "StreamingUnits": settings.streaming_units}
    assert config["CompatibilityLevel"] == "1.2"
    assert config["EventsLateArrivalMaxDelayInSeconds"] == settings.late_arrival_max_delay_s
    assert config["EventsOutOfOrderMaxDelayInSeconds"] == settings.out_of_order_max_delay_s
    assert config["EventsOutOfOrderPolicy"] == settings.out_of_order_policy
    assert config["OutputErrorPolicy"] == settings.output_error_policy


def test_function_binding_and_identity(project: tuple[str, Path]) -> None:
    name, folder = project
    env = load_environment(name)
    binding = _read(folder / "Functions" / f"{aliases.FUNCTION_SCORE}.json")["Binding"]
    assert binding["Type"] == "Microsoft.MachineLearningServices"
    assert binding["ApiKey"] is None, "keys never live in the project files"
    assert binding["BatchSize"] == env.stream_analytics.function_batch_size
    assert binding["NumberOfParallelRequests"] == env.stream_analytics.function_parallel_requests
    if env.local is not None:
        assert binding["Endpoint"] == f"http://127.0.0.1:{env.local.endpoint_port}/score"
    else:
        assert binding["Endpoint"].startswith("https://") and binding["Endpoint"].endswith("/score")
    for path in [*(folder / "Inputs").glob("*.json"), *(folder / "Outputs").glob("*.json")]:
        properties = next(v for k, v in _read(path).items() if k.endswith("Properties"))
        assert properties["AuthenticationMode"] == "Msi", path.name


def test_blob_outputs_have_a_dated_path_pattern(project: tuple[str, Path]) -> None:
    _, folder = project
    blobs = [
        _read(p) for p in (folder / "Outputs").glob("*.json") if _read(p)["DataSourceType"] == "Blob Storage"
    ]
    assert {b["Name"] for b in blobs} == {
        aliases.OUTPUT_SCORED_BLOB,
        aliases.OUTPUT_DEADLETTER,
        aliases.OUTPUT_CATEGORY_AGGREGATES,
    }
    for blob in blobs:
        assert blob["BlobStorageProperties"]["PathPattern"].endswith("/{date}/{time}")
