"""Approve the Stream Analytics cluster's managed private endpoints on their own targets, as a deploy step.

A managed private endpoint of a Stream Analytics cluster is a pending connection on its target until the
target's owner approves it; until then no job on the cluster reaches the target
(https://learn.microsoft.com/azure/stream-analytics/private-endpoints: "First, you create a managed
private endpoint for a resource ... Then, approve the private endpoint connection from your input or
output."; there is no auto-approval: https://github.com/hashicorp/terraform-provider-azurerm/issues/21064).
The targets are the environment's own (Event Hubs namespace, storage account: `cluster_links`), so the
deploy approves them itself, right after the ARM deployment that creates the endpoints:

- the plan lists the step with the endpoints not approved yet (`AzureState.approved_cluster_endpoints`,
  read from the cluster through azure-mgmt-streamanalytics); a deploy where all are approved has none;
- apply reads each endpoint on the cluster (its connection state and the request message Azure shows the
  target's owner), reads the target's `privateEndpointConnections` (ARM GET of the storage account or
  namespace), and approves the one pending connection that comes from this endpoint with a
  PUT of `<target>/privateEndpointConnections/<name>`, `privateLinkServiceConnectionState.status:
  Approved` (Storage: https://learn.microsoft.com/rest/api/storagerp/private-endpoint-connections/put,
  Event Hubs: https://learn.microsoft.com/rest/api/eventhub/private-endpoint-connections/create-or-update);
- "comes from this endpoint" means: Pending, its description is the endpoint's request message, and its
  private endpoint lives outside the environment's subscription (a managed private endpoint lives in a
  Microsoft-managed one). Which fields Azure fills in on the target for a managed private endpoint is not
  documented; when no connection, or more than one, matches, the step refuses to guess and names the
  pending connections and the command to approve by hand. It never approves anything else.

Control plane only (ARM), so it runs from anywhere: `needs_network` is false.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from environments.errors import EnvironmentsError
from environments.model import Environment
from environments.naming import resource_names
from environments.private_network import EVENT_HUBS, STORAGE, ClusterLink, cluster_links

APPROVAL_KIND = "private-endpoint-approval"
APPROVAL_NAME = "approve-cluster-private-endpoints"
CLUSTER_ENDPOINT_TYPE = "microsoft.streamanalytics/clusters/privateendpoints"
APPROVED = "Approved"
PENDING = "Pending"
# A literal API version per target provider for the generic ARM reads and the approval PUT.
API_VERSIONS = {STORAGE: "2023-05-01", EVENT_HUBS: "2024-01-01"}
# How long a connection request may take to show up on its target ("It might take a few minutes for
# connection request to show up", private-endpoints page): tries, and the wait between them.
ATTEMPTS, WAIT_S = 20, 30.0
MANUAL = (
    "az network private-endpoint-connection list --id {target} --query "
    "\"[?properties.privateLinkServiceConnectionState.status=='Pending']\"  # then, for the cluster's: "
    "az network private-endpoint-connection approve --id <connection id>"
)


class ApprovalError(EnvironmentsError):
    """A managed private endpoint's connection could not be told apart or approved; names the target."""


def cluster_id(env: Environment) -> str:
    assert env.azure is not None
    return (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.StreamAnalytics/clusters/"
        f"{resource_names(env).stream_cluster}"
    )


def target_id(env: Environment, link: ClusterLink) -> str:
    """The target's resource id below the subscription (the environment's own resource group)."""
    assert env.azure is not None
    return f"resourceGroups/{env.azure.resource_group}/providers/{link.resource_type}/{link.resource_name}"


def creates_cluster_endpoints(template: dict[str, Any]) -> bool:
    """Whether a rendered ARM template declares the cluster's managed private endpoints."""
    return any(str(r.get("type", "")).lower() == CLUSTER_ENDPOINT_TYPE for r in template.get("resources", []))


def approval_request(env: Environment, approved: frozenset[str]) -> dict[str, Any] | None:
    """The request of the step approving the cluster's endpoints not approved yet (None: all are, or there
    are none); `plan.py` makes it the step `APPROVAL_NAME` on `cluster_id(env)`."""
    endpoints = [
        {
            "name": link.key,
            "target": target_id(env, link),
            "group": link.group,
            "api_version": API_VERSIONS[link.resource_type],
        }
        for link in cluster_links(env)
        if link.key not in approved
    ]
    if not endpoints:
        return None
    return {"cluster": resource_names(env).stream_cluster, "endpoints": endpoints}


def _connection_state(endpoint: Any) -> tuple[str, str]:
    """(status, request message) of a cluster endpoint's connection, as azure-mgmt-streamanalytics reads it."""
    connections = (endpoint.properties and endpoint.properties.manual_private_link_service_connections) or []
    if not connections:
        return "", ""
    state = connections[0].private_link_service_connection_state
    return (state.status if state else "") or "", connections[0].request_message or ""


def read_approved(env: Environment, clients: Any) -> frozenset[str]:
    """The keys of the cluster's managed private endpoints whose connection is approved (none when the
    cluster or an endpoint does not exist yet)."""
    from azure.core.exceptions import ResourceNotFoundError

    if not cluster_links(env) or env.azure is None:
        return frozenset()
    endpoints, group = clients.stream_private_endpoints(), env.azure.resource_group
    approved = set()
    for link in cluster_links(env):
        try:
            endpoint = endpoints.get(group, resource_names(env).stream_cluster, link.key)
        except ResourceNotFoundError:
            continue
        if _connection_state(endpoint)[0] == APPROVED:
            approved.add(link.key)
    return frozenset(approved)


def _state(connection: dict[str, Any]) -> dict[str, Any]:
    return dict((connection.get("properties") or {}).get("privateLinkServiceConnectionState") or {})


def connections_from_endpoint(
    connections: list[dict[str, Any]], message: str, subscription_id: str
) -> list[dict[str, Any]]:
    """The pending connections that come from a managed private endpoint with this request message: its
    description is the message, and its private endpoint is not one of the subscription's own."""
    mine = f"/subscriptions/{subscription_id.lower()}/"
    return [
        connection
        for connection in connections
        if _state(connection).get("status") == PENDING
        and _state(connection).get("description") == message
        and not str(((connection.get("properties") or {}).get("privateEndpoint") or {}).get("id", ""))
        .lower()
        .startswith(mine)
    ]


def _pending_connections(
    resources: Any, target: str, api_version: str, message: str, clients: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the target's connections, those from the endpoint), waiting for the request to show up."""
    for attempt in range(ATTEMPTS):
        found = resources.get_by_id(target, api_version=api_version)
        connections = list((found.properties or {}).get("privateEndpointConnections") or [])
        ours = connections_from_endpoint(connections, message, clients.subscription_id)
        if ours or attempt == ATTEMPTS - 1:
            return connections, ours
        clients.sleep(WAIT_S)
    return [], []


def approve_cluster_endpoints(
    env: Environment, request: dict[str, Any], clients: Any, report: Callable[[str], Any] = print
) -> list[str]:
    """Approve, on its target, each endpoint of the step's `request` still pending; returns the approved
    connection ids (none on a rerun where all are approved)."""
    assert env.azure is not None
    endpoints, resources = clients.stream_private_endpoints(), clients.resources()
    group, cluster = env.azure.resource_group, request["cluster"]
    approved = []
    for spec in request["endpoints"]:
        target = f"/subscriptions/{clients.subscription_id}/{spec['target']}"
        status, message = _connection_state(endpoints.get(group, cluster, spec["name"]))
        if status == APPROVED:
            report(f"  {cluster}/{spec['name']}: approved already")
            continue
        connections, ours = (
            _pending_connections(resources, target, spec["api_version"], message, clients)
            if message
            else ([], [])  # nothing to tell the cluster's connection by: refuse at once
        )
        if len(ours) != 1:
            pending = [str(c.get("id")) for c in connections if _state(c).get("status") == PENDING]
            raise ApprovalError(
                f"{spec['target']}: {len(ours)} pending connections come from {cluster}/{spec['name']} "
                f"(request message {message!r}); refusing to guess among the pending ones {pending}. "
                f"Approve the cluster's by hand: {MANUAL.format(target=target)}"
            )
        state = {
            "status": APPROVED,
            "description": f"approved by the streamscore deploy for {cluster}/{spec['name']}",
            "actionsRequired": "None",
        }
        connection_id = str(ours[0]["id"])
        resources.begin_create_or_update_by_id(
            connection_id,
            {"properties": {"privateLinkServiceConnectionState": state}},
            api_version=spec["api_version"],
        ).result()
        report(f"  {cluster}/{spec['name']}: approved {connection_id}")
        approved.append(connection_id)
    return approved
