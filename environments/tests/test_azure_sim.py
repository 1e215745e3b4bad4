"""The simulated control plane answers the real SDK clients (azure-mgmt-resource, azure-mgmt-streamanalytics,
azure-ai-ml) and enforces the documented rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from azure.ai.ml import MLClient
from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint
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


WORKSPACE = "resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"


@pytest.fixture
def workspace() -> tuple[SimulatedAzure, MLClient]:
    """A simulated workspace and azure-ai-ml's MLClient on it."""
    azure = SimulatedAzure()
    azure.arrange("resourceGroups/rg", {"name": "rg", "location": "westeurope"})
    azure.arrange(WORKSPACE, {"name": "ws", "location": "westeurope", "properties": {}})
    for asset in ("models/m/versions/1", "environments/e/versions/1"):  # registered before, in the workspace
        azure.arrange(f"{WORKSPACE}/{asset}", {"name": "1", "properties": {}})
    client = MLClient(
        StaticCredential(), azure.subscription_id, "rg", "ws", transport=SimulatedTransport(azure)
    )
    return azure, client


def _deploy(client: MLClient, name: str) -> None:
    deployment = ManagedOnlineDeployment(
        name=name,
        endpoint_name="ep-sim",
        model="azureml:m:1",  # a workspace asset: azure-ai-ml checks a registry model without the transport
        environment="azureml:e:1",
        instance_type="Standard_DS3_v2",
        instance_count=1,
    )
    client.online_deployments.begin_create_or_update(deployment).result()


def _traffic(client: MLClient, traffic: dict[str, int], mirror: dict[str, int] | None = None) -> None:
    endpoint = client.online_endpoints.get("ep-sim")
    endpoint.traffic, endpoint.mirror_traffic = traffic, mirror or {}
    client.online_endpoints.begin_create_or_update(endpoint).result()


def test_endpoint_traffic_sums_to_100_over_existing_deployments(
    workspace: tuple[SimulatedAzure, MLClient],
) -> None:
    _, client = workspace
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="ep-sim", auth_mode="key")
    ).result()
    with pytest.raises(HttpResponseError, match=r"traffic names deployments that do not exist: blue"):
        _traffic(client, {"blue": 100})
    _deploy(client, "blue")
    _deploy(client, "green")
    with pytest.raises(HttpResponseError, match=r"sums to 90; it must sum to 100"):
        _traffic(client, {"blue": 60, "green": 30})
    _traffic(client, {"blue": 90, "green": 10})
    assert client.online_endpoints.get("ep-sim").traffic == {"blue": 90, "green": 10}


def test_mirrored_traffic_goes_to_an_idle_deployment_at_most_50_percent(
    workspace: tuple[SimulatedAzure, MLClient],
) -> None:
    _, client = workspace
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="ep-sim", auth_mode="key")
    ).result()
    _deploy(client, "blue")
    _deploy(client, "green")
    with pytest.raises(HttpResponseError, match=r"green takes live traffic"):
        _traffic(client, {"blue": 90, "green": 10}, {"green": 10})
    with pytest.raises(HttpResponseError, match=r"sums to 60; at most 50"):
        _traffic(client, {"blue": 100}, {"green": 60})
    _traffic(client, {"blue": 100}, {"green": 50})
    assert client.online_endpoints.get("ep-sim").mirror_traffic == {"green": 50}


def test_a_deployment_taking_traffic_is_not_deleted(workspace: tuple[SimulatedAzure, MLClient]) -> None:
    _, client = workspace
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="ep-sim", auth_mode="key")
    ).result()
    _deploy(client, "blue")
    _deploy(client, "green")
    _traffic(client, {"blue": 100})
    with pytest.raises(HttpResponseError, match=r"blue takes 100% of the endpoint's live traffic"):
        client.online_deployments.begin_delete("blue", endpoint_name="ep-sim").result()
    client.online_deployments.begin_delete("green", endpoint_name="ep-sim").result()
    assert [d.name for d in client.online_deployments.list("ep-sim")] == ["blue"]


def test_a_request_body_with_a_field_the_sdk_model_lacks_is_refused_naming_it(azure: Clients) -> None:
    with pytest.raises(HttpResponseError, match=r"\(InvalidRequestContent\).*'managedByy'"):
        azure.groups.create_or_update("rg", {"location": "westeurope", "managedByy": "someone"})
    assert not azure.groups.check_existence("rg")
    azure.groups.create_or_update("rg", {"location": "westeurope"})
    body = {"properties": {"mode": "Incremental", "template": TEMPLATE, "parameterz": {}}}
    with pytest.raises(HttpResponseError, match=r"'properties\.parameterz'"):
        azure.deployments.begin_create_or_update("rg", "dep", body).result()


REGISTRY = "resourceGroups/rg/providers/Microsoft.MachineLearningServices/registries/reg"


def test_a_new_role_assignment_takes_effect_only_after_a_delay() -> None:
    azure = SimulatedAzure()
    azure.arrange("resourceGroups/rg", {"name": "rg", "location": "westeurope"})
    azure.arrange(REGISTRY, {"name": "reg", "location": "westeurope"})
    registry = MLClient(
        StaticCredential("staging-deployer"),
        azure.subscription_id,
        registry_name="reg",
        transport=SimulatedTransport(azure),
    )
    azure.assign_role("staging-deployer", "AzureML Registry User", REGISTRY)
    with pytest.raises(
        HttpResponseError, match=r"AuthorizationFailed.*'staging-deployer'.*AzureML Registry User"
    ):
        registry.environments.get("e", version="1")
    statuses = [_status_of(lambda: registry.environments.get("e", version="1")) for _ in range(6)]
    assert statuses[-1] == 404, "in effect later: the environment is simply not there"
    assert statuses == sorted(statuses, key=lambda status: status == 404), (
        "refused until in effect, then never"
    )


def _status_of(call: Callable[[], object]) -> int:
    try:
        call()
    except HttpResponseError as exc:
        return int(exc.status_code or 0)
    return 200
