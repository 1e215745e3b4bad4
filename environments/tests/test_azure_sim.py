"""The simulated control plane answers the real SDK clients and enforces the documented rules."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.deployments import DeploymentsMgmtClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.streamanalytics import StreamAnalyticsManagementClient
from azure.mgmt.streamanalytics.models import StartStreamingJobParameters

from environments.azure_sim import SimulatedAzure, SimulatedTransport, StaticCredential

TEMPLATE = {
    "parameters": {
        "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
        "query": {"type": "string"},
    },
    "resources": [
        {
            "type": "Microsoft.StreamAnalytics/streamingjobs",
            "apiVersion": "2021-10-01-preview",
            "name": "job",
            "location": "[parameters('location')]",
            "properties": {"transformation": {"name": "T", "properties": {"query": "[parameters('query')]"}}},
        }
    ],
}


class Clients:
    def __init__(self) -> None:
        self.azure = SimulatedAzure()
        kwargs = {"transport": SimulatedTransport(self.azure)}
        sub = self.azure.subscription_id
        self.groups = ResourceManagementClient(StaticCredential(), sub, **kwargs).resource_groups
        self.deployments = DeploymentsMgmtClient(StaticCredential(), sub, **kwargs).deployments
        self.jobs = StreamAnalyticsManagementClient(StaticCredential(), sub, **kwargs).streaming_jobs

    def deploy(self, query: str) -> str:
        body = {
            "properties": {
                "mode": "Incremental",
                "template": TEMPLATE,
                "parameters": {"query": {"value": query}},
            }
        }
        return str(
            self.deployments.begin_create_or_update("rg", "dep", body).result().properties.provisioning_state
        )

    def start(self, mode: str) -> None:
        self.jobs.begin_start("rg", "job", StartStreamingJobParameters(output_start_mode=mode)).result()


@pytest.fixture
def azure() -> Clients:
    return Clients()


def test_a_deployment_into_a_missing_resource_group_fails(azure: Clients) -> None:
    with pytest.raises(HttpResponseError, match="ResourceGroupNotFound"):
        azure.deploy("SELECT 1")
    assert not azure.groups.check_existence("rg")
    azure.groups.create_or_update("rg", {"location": "westeurope"})
    assert azure.groups.check_existence("rg")
    assert azure.deploy("SELECT 1").endswith("SUCCEEDED")


def test_the_template_creates_the_job_with_its_parameters(azure: Clients) -> None:
    azure.groups.create_or_update("rg", {"location": "westeurope"})
    azure.deploy("SELECT 1")
    job = azure.jobs.get("rg", "job")
    assert (job.job_state, job.location, job.transformation.query) == ("Created", "westeurope", "SELECT 1")


def test_a_running_job_refuses_a_change_until_stopped(azure: Clients) -> None:
    azure.groups.create_or_update("rg", {"location": "westeurope"})
    azure.deploy("SELECT 1")
    azure.start("JobStartTime")
    with pytest.raises(HttpResponseError, match=r"JobRunningCannotUpdate.*transformation"):
        azure.deploy("SELECT 2")
    assert azure.jobs.get("rg", "job").transformation.query == "SELECT 1"
    azure.jobs.begin_stop("rg", "job").result()
    azure.deploy("SELECT 2")
    azure.start("LastOutputEventTime")
    job = azure.jobs.get("rg", "job")
    assert (job.job_state, job.transformation.query) == ("Running", "SELECT 2")


def test_a_job_never_started_cannot_resume_from_its_last_output(azure: Clients) -> None:
    azure.groups.create_or_update("rg", {"location": "westeurope"})
    azure.deploy("SELECT 1")
    with pytest.raises(HttpResponseError, match="never started"):
        azure.start("LastOutputEventTime")


def test_the_journal_lists_every_change_in_order(azure: Clients) -> None:
    azure.groups.create_or_update("rg", {"location": "westeurope"})
    azure.deploy("SELECT 1")
    azure.start("JobStartTime")
    azure.jobs.get("rg", "job")
    job = "resourcegroups/rg/providers/Microsoft.StreamAnalytics/streamingjobs/job"
    assert azure.azure.journal == [
        "PUT resourcegroups/rg",
        "PUT resourcegroups/rg/providers/Microsoft.Resources/deployments/dep",
        f"POST {job}/start",
    ]
