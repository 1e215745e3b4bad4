"""What the plan needs to know of the subscription before it is built: read once, passed in.

The plan stays pure (`build_plan(env, build, state)`); this module is the only place that reads Azure for
it. `AzureState.empty()` is a subscription with nothing deployed (a first deploy, or `--offline`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from environments.deploy.endpoint_key import KeyCalls
from environments.model import Environment
from environments.naming import resource_names

# Tag on the streaming job: the hash of the definition it was deployed from (set by the plan).
DEFINITION_TAG = "streamscore-definition"

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

    @classmethod
    def empty(cls) -> AzureState:
        return cls(resource_group_exists=False, stream_job=None)


def read_azure_state(env: Environment, clients: Any) -> AzureState:
    """Read the resource group and the streaming job of `env` through `clients` (an `AzureClients`)."""
    from azure.core.exceptions import ResourceNotFoundError

    assert env.azure is not None
    group = env.azure.resource_group
    if not clients.resource_groups().check_existence(group):
        return AzureState.empty()
    stored = KeyCalls(env, clients).key_in_use() is not None
    try:
        job = clients.streaming_jobs().get(group, resource_names(env).stream_job)
    except ResourceNotFoundError:
        return AzureState(resource_group_exists=True, stream_job=None, endpoint_key_stored=stored)
    state = StreamJobState(state=str(job.job_state or ""), definition=(job.tags or {}).get(DEFINITION_TAG))
    return AzureState(resource_group_exists=True, stream_job=state, endpoint_key_stored=stored)
