"""The simulated control plane's Azure ML workspace calls, driven by azure-ai-ml's own MLClient: data asset
versions, jobs polled to a terminal state, schedules, and the files they upload, stored in a real Azurite."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.ai.ml import Input, MLClient, command
from azure.ai.ml.entities import Data, JobSchedule, PipelineJob, RecurrenceTrigger
from azure.core.exceptions import HttpResponseError

from environments.azure_sim import SimulatedAzure, SimulatedTransport, StaticCredential
from environments.azure_sim.blob_routing import BlobStore, route_blobs_to
from environments.azure_sim.ml_workspace import default_container
from environments.standins import Azurite

pytestmark = pytest.mark.services

WORKSPACE = "resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
REGISTRY = "resourceGroups/rg/providers/Microsoft.MachineLearningServices/registries/reg"


@pytest.fixture
def workspace(azurite: Azurite) -> tuple[SimulatedAzure, MLClient]:
    azure = SimulatedAzure(blobs=BlobStore(azurite.blob_endpoint))
    azure.arrange("resourceGroups/rg", {"name": "rg", "location": "westeurope"})
    azure.arrange(WORKSPACE, {"name": "ws", "location": "westeurope", "properties": {}})
    azure.arrange(REGISTRY, {"name": "reg", "location": "westeurope", "properties": {}})
    azure.arrange(f"{WORKSPACE}/environments/env/versions/1", {"name": "1", "properties": {}})
    client = MLClient(
        StaticCredential(), azure.subscription_id, "rg", "ws", transport=SimulatedTransport(azure)
    )
    return azure, client


def _data(path: Path, version: str, note: str) -> Data:
    return Data(name="training", version=version, type="uri_file", path=str(path), tags={"note": note})


def test_a_data_version_uploads_its_file_and_never_changes(
    workspace: tuple[SimulatedAzure, MLClient], tmp_path: Path
) -> None:
    azure, client = workspace
    file = tmp_path / "rows.csv"
    file.write_text("a,b\n1,2\n", encoding="utf-8")
    with route_blobs_to(azure.blobs.endpoint if azure.blobs else ""):
        created = client.data.create_or_update(_data(file, "1", "first"))
        container = default_container(WORKSPACE)
        stored = (
            [name for name in azure.blobs.names(container, "") if name.endswith("rows.csv")]
            if azure.blobs
            else []
        )
        assert stored, "the file is in the workspace's default container in Azurite"
        assert azure.blobs and azure.blobs.download(container, stored[0]) == b"a,b\n1,2\n"
        assert client.data.get("training", version="1").path == created.path
        with pytest.raises(HttpResponseError, match=r"Conflict.*data versions are immutable"):
            client.data.create_or_update(
                Data(name="training", version="1", type="uri_file", path=created.path, tags={"note": "other"})
            )


def _job(environment: str, data: str) -> object:
    return command(
        command="python -c 'print(1)'",
        environment=environment,
        inputs={"rows": Input(type="uri_file", path=data)},
        compute="cpu",
    )


def test_a_job_runs_to_completed_or_to_the_failure_injected(
    workspace: tuple[SimulatedAzure, MLClient],
) -> None:
    azure, client = workspace
    azure.arrange(f"{WORKSPACE}/data/training/versions/1", {"name": "1", "properties": {"dataUri": "x"}})
    job = _job("azureml:env:1", "azureml:training:1")
    job.name = "train-1"
    assert client.jobs.create_or_update(job).status in ("NotStarted", "Running")
    statuses = [client.jobs.get("train-1").status for _ in range(3)]
    assert statuses == ["Running", "Completed", "Completed"], "polled to a terminal state, which stays"

    azure.jobs.faults.fail_next("train-2", "UserError", "Execution failed: step train exited 1")
    job.name = "train-2"
    client.jobs.create_or_update(job)
    while (status := client.jobs.get("train-2").status) not in ("Completed", "Failed"):
        pass
    assert status == "Failed"
    assert azure.get(f"{WORKSPACE}/jobs/train-2")["properties"]["error"]["code"] == "UserError"


def test_a_job_naming_an_asset_version_that_does_not_exist_is_refused(
    workspace: tuple[SimulatedAzure, MLClient],
) -> None:
    azure, client = workspace
    job = _job("azureml:env:1", "azureml:training:9")
    job.name = "train-missing"
    with pytest.raises(HttpResponseError, match=r"UserError.*do not exist: .*data/training/versions/9"):
        client.jobs.create_or_update(job)
    assert azure.get(f"{WORKSPACE}/jobs/train-missing") is None, "nothing was submitted"


def _pipeline(data: str) -> PipelineJob:
    return PipelineJob(jobs={"run": _job("azureml:env:1", data)})


def test_a_schedule_is_created_checked_like_a_job_and_triggered_once(
    workspace: tuple[SimulatedAzure, MLClient],
) -> None:
    azure, client = workspace
    azure.arrange(f"{WORKSPACE}/data/training/versions/1", {"name": "1", "properties": {"dataUri": "x"}})
    trigger = RecurrenceTrigger(frequency="hour", interval=1)
    missing = JobSchedule(name="nightly", trigger=trigger, create_job=_pipeline("azureml:training:2"))
    with pytest.raises(HttpResponseError, match="do not exist"):
        client.schedules.begin_create_or_update(missing).result()
    good = JobSchedule(name="nightly", trigger=trigger, create_job=_pipeline("azureml:training:1"))
    assert client.schedules.begin_create_or_update(good).result().name == "nightly"
    submitted = len(azure.jobs.submitted)
    client.schedules.trigger("nightly")
    assert len(azure.jobs.submitted) == submitted + 1, "one job of the schedule's definition"
    assert azure.jobs.submitted[-1].startswith("nightly-")
