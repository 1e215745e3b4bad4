"""What the plan needs to know of the subscription before it is built: read once, passed in.

The plan stays pure (`build_plan(env, build, state)`); this module is the only place that reads Azure for
it. `AzureState.empty()` is a subscription with nothing deployed (a first deploy, or `--offline`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from environments.deploy.cluster_approvals import read_approved
from environments.deploy.endpoint_key import KeyCalls
from environments.endpoint_deployments import serving_deployment
from environments.model import Environment
from environments.naming import resource_names

# Tag on the streaming job: the hash of the definition it was deployed from (set by the plan).
DEFINITION_TAG = "streamscore-definition"

# The API version of each provider's generic reads here (a literal per provider).
API_VERSIONS = {
    "microsoft.machinelearningservices": "2024-04-01",
}

# Job states in which the job processes events and refuses changes (the service's `jobState` values).
RUNNING_STATES = frozenset({"running", "starting", "restarting", "scaling", "degraded"})


@dataclass(frozen=True)
class StreamJobState:
    """The deployed streaming job: its `jobState` and the definition hash it was deployed from."""

    state: str
    definition: str | None

    @property
    def running(self) -> bool:
        return self.state.lower() in RUNNING_STATES

    @property
    def started_before(self) -> bool:
        """A job is `Created` until its first start; only a job started before can resume."""
        return self.state.lower() != "created"


@dataclass(frozen=True)
class AzureState:
    resource_group_exists: bool
    stream_job: StreamJobState | None
    endpoint_key_stored: bool = False
    """The Key Vault secret with the endpoint key exists (`endpoint_key.py`); rotated, never rewritten."""
    endpoint_traffic: dict[str, int] | None = None  # the online endpoint's live traffic; None: no endpoint
    serving_tags: dict[str, str] | None = None  # the tags of the deployment serving (its definition, model)
    registry_assets: frozenset[str] = (
        frozenset()
    )  # the asked-for registry asset versions that exist (lower case)
    # The Stream Analytics cluster's managed private endpoints approved on their targets (cluster_approvals.py).
    approved_cluster_endpoints: frozenset[str] = frozenset()

    @classmethod
    def empty(cls) -> AzureState:
        return cls(resource_group_exists=False, stream_job=None)


def read_azure_state(env: Environment, clients: Any, registry_assets: Iterable[str] = ()) -> AzureState:
    """Read the resource group, the streaming job and the online endpoint of `env`, and which of
    `registry_assets` (registry and workspace asset version ids) exist, through `clients` (an `AzureClients`)."""
    from azure.core.exceptions import ResourceNotFoundError

    assert env.azure is not None
    group = env.azure.resource_group
    existing = frozenset(a.lower() for a in registry_assets if _read(clients, a) is not None)
    if not clients.resource_groups().check_existence(group):
        return AzureState(resource_group_exists=False, stream_job=None, registry_assets=existing)
    stored = KeyCalls(env, clients).key_in_use() is not None
    try:
        job = clients.streaming_jobs().get(group, resource_names(env).stream_job)
        tags = job.tags or {}
        stream_job = StreamJobState(state=str(job.job_state or ""), definition=tags.get(DEFINITION_TAG))
    except ResourceNotFoundError:
        stream_job = None
    endpoint = _read(clients, endpoint_id(env))
    traffic = None if endpoint is None else dict((endpoint.properties or {}).get("traffic") or {})
    serving = serving_deployment(traffic)
    deployment = None if serving is None else _read(clients, f"{endpoint_id(env)}/deployments/{serving}")
    tags = None if deployment is None else dict(deployment.tags or {})
    return AzureState(
        resource_group_exists=True,
        stream_job=stream_job,
        endpoint_key_stored=stored,
        endpoint_traffic=traffic,
        serving_tags=tags,
        registry_assets=existing,
        approved_cluster_endpoints=read_approved(env, clients),
    )


def endpoint_id(env: Environment) -> str:
    """The online endpoint's resource id (relative to the subscription)."""
    assert env.azure is not None
    names = resource_names(env)
    return (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.MachineLearningServices/"
        f"workspaces/{names.workspace}/onlineEndpoints/{names.endpoint}"
    )


def _read(clients: Any, resource_id: str) -> Any:
    """The resource by id (generic ARM read), or None when it does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    api_version = API_VERSIONS[resource_id.split("/providers/", 1)[1].split("/", 1)[0].lower()]
    try:
        return clients.resources().get_by_id(
            f"/subscriptions/{clients.subscription_id}/{resource_id}", api_version=api_version
        )
    except ResourceNotFoundError:
        return None
