"""The Azure SDK clients apply uses, built from one credential, subscription and (in tests) transport.

Tests pass `transport=SimulatedTransport(...)` (environments/azure_sim); the deploy passes none, so the
SDKs talk to Azure with `DefaultAzureCredential` (OIDC in the workflows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AzureClients:
    subscription_id: str
    credential: Any
    transport: Any = None

    def _options(self) -> dict[str, Any]:
        return {} if self.transport is None else {"transport": self.transport}

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

    def ml(self, resource_group: str, workspace: str) -> Any:
        from azure.ai.ml import MLClient

        return MLClient(self.credential, self.subscription_id, resource_group, workspace, **self._options())
