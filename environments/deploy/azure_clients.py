"""The Azure SDK clients apply uses, built from one credential, subscription and (in tests) transport.

Tests pass `transport=SimulatedTransport(...)` (environments/azure_sim); the deploy passes none, so the
SDKs talk to Azure with `azure_credential()` (`DefaultAzureCredential`, or in a workflow a GitHub OIDC
sign-in that renews itself: environments/azure_credential.py).

The Azure ML steps (`python -m ml rollout <env>`, ...) run in apply's process inside an `azure_session`:
they take their clients from `session_clients` (the session's, else `azure_credential()`) and the
values apply read from deployed resources for them from `deployed_setting`, so the same clients, and
in tests the same simulated control plane, serve every step.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from environments.render import REPO_ROOT


@dataclass(frozen=True)
class AzureClients:
    subscription_id: str
    credential: Any
    transport: Any = None

    def _options(self) -> dict[str, Any]:
        return {} if self.transport is None else {"transport": self.transport}

    def sleep(self, seconds: float) -> None:
        """Wait between retries the way the SDK pollers do: through the transport (tests: no wall clock)."""
        if self.transport is None:
            time.sleep(seconds)
        else:
            self.transport.sleep(seconds)

    def resource_groups(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(
            self.credential, self.subscription_id, **self._options()
        ).resource_groups

    def resources(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(self.credential, self.subscription_id, **self._options()).resources

    def deployments(self) -> Any:
        from azure.mgmt.resource.deployments import DeploymentsMgmtClient

        return DeploymentsMgmtClient(self.credential, self.subscription_id, **self._options()).deployments

    def streaming_jobs(self) -> Any:
        from azure.mgmt.streamanalytics import StreamAnalyticsManagementClient

        client = StreamAnalyticsManagementClient(self.credential, self.subscription_id, **self._options())
        return client.streaming_jobs

    def stream_functions(self) -> Any:
        from azure.mgmt.streamanalytics import StreamAnalyticsManagementClient

        client = StreamAnalyticsManagementClient(self.credential, self.subscription_id, **self._options())
        return client.functions

    def stream_private_endpoints(self) -> Any:
        """The managed private endpoints of Stream Analytics clusters (`cluster_approvals.py`)."""
        from azure.mgmt.streamanalytics import StreamAnalyticsManagementClient

        client = StreamAnalyticsManagementClient(self.credential, self.subscription_id, **self._options())
        return client.private_endpoints

    def ml(self, resource_group: str, workspace: str) -> Any:
        from azure.ai.ml import MLClient

        return MLClient(self.credential, self.subscription_id, resource_group, workspace, **self._options())

    def ml_registry(self, registry: str) -> Any:
        """azure-ai-ml's MLClient on an Azure ML registry (it finds the registry's location itself)."""
        from azure.ai.ml import MLClient

        return MLClient(self.credential, registry_name=registry, **self._options())


@dataclass(frozen=True)
class AzureSession:
    """What apply hands an Azure ML step it runs: its clients and the settings read for it."""

    clients: AzureClients
    settings: dict[str, str] = field(default_factory=dict)  # values of deployed resources, never printed
    root: Path = REPO_ROOT  # the checkout whose build/<env> apply deploys from


_SESSION: ContextVar[AzureSession | None] = ContextVar("azure_session", default=None)


@contextmanager
def azure_session(clients: AzureClients, settings: dict[str, str], root: Path = REPO_ROOT) -> Iterator[None]:
    """Run a step with these clients, settings and checkout (see the module docstring)."""
    token = _SESSION.set(AzureSession(clients, dict(settings), root))
    try:
        yield
    finally:
        _SESSION.reset(token)


def session_clients(subscription_id: Callable[[], str]) -> AzureClients:
    """The session's clients, else clients on `subscription_id()` (read only then: it may come from an
    environment variable) with `azure_credential()`."""
    session = _SESSION.get()
    if session is not None:
        return session.clients
    from environments.azure_credential import azure_credential

    return AzureClients(subscription_id(), azure_credential())


def session_root() -> Path:
    """The checkout apply deploys from (its `build/<env>`), else this repository."""
    session = _SESSION.get()
    return REPO_ROOT if session is None else session.root


def deployed_setting(name: str) -> str | None:
    """A setting apply read from a deployed resource for this step, else the environment variable `name`
    (a step run by hand)."""
    session = _SESSION.get()
    if session is not None and name in session.settings:
        return session.settings[name]
    return os.environ.get(name) or None
