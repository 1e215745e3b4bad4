"""The simulator's rule for a Stream Analytics cluster's managed private endpoints: each one is a *pending*
connection on its target until the target's owner approves it, and jobs on the cluster reach the target
only once it is approved.

Documented: "First, you create a managed private endpoint for a resource ... in your Stream Analytics
cluster. Then, approve the private endpoint connection from your input or output. Once you approve the
connection, any job running in your Stream Analytics cluster can access the resource through the private
endpoint." (https://learn.microsoft.com/azure/stream-analytics/private-endpoints). Approval is a PUT of
the target's `privateEndpointConnections/{name}` with `privateLinkServiceConnectionState.status:
Approved` (e.g. https://learn.microsoft.com/rest/api/storagerp/private-endpoint-connections/put).

How the simulator keeps them: a connection is a child resource `<target>/privateEndpointConnections/<name>`
(so a later template deployment of the target does not wipe it, as on Azure), shown in the target's
`properties.privateEndpointConnections` when the target is read (storage accounts, Event Hubs namespaces
and workspaces return them there). Its name is `connection_name(cluster, endpoint)` and its description
the request message the cluster's endpoint carries (`request_message`); the private endpoint itself
lives in a Microsoft-managed subscription (`MANAGED_SUBSCRIPTION`), never in the customer's. Which
fields Azure fills in for a managed private endpoint's connection is not documented: these are the
simulator's choices, and the deploy's matching (environments/deploy/cluster_approvals.py) names them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from environments.azure_sim.rules import ArmError

CLUSTER_ENDPOINTS = "microsoft.streamanalytics/clusters/privateendpoints"
CONNECTIONS = "/privateendpointconnections/"
MANAGED_SUBSCRIPTION = "11111111-1111-1111-1111-111111111111"
STATES = ("Pending", "Approved", "Rejected", "Disconnected")
_RESOURCE_ID = re.compile(r"^\[resourceId\('([^']+)', '([^']+)'\)\]$")


def connection_name(cluster: str, endpoint: str) -> str:
    """The simulator's name for the connection a cluster's managed private endpoint makes on its target."""
    return f"{cluster}.{endpoint}"


def request_message(cluster_id: str, endpoint: str) -> str:
    return f"Stream Analytics cluster {cluster_id.rsplit('/', 1)[-1]}: managed private endpoint {endpoint}"


def _relative(resource_id: str) -> str:
    """`resourceGroups/...` of a full or relative resource id."""
    path = resource_id.strip("/")
    return path.split("/", 2)[-1] if path.lower().startswith("subscriptions/") else path


def target_of(endpoint_rid: str, endpoint: dict[str, Any]) -> str:
    """The target resource id (relative to the subscription) of a stored cluster endpoint, with the
    template's `[resourceId('<type>', '<name>')]` resolved in the cluster's resource group."""
    link = endpoint["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
    service = str(link["privateLinkServiceId"])
    match = _RESOURCE_ID.match(service)
    if match is None:
        return _relative(service)
    kind, name = match.groups()
    namespace, resource_type = kind.split("/", 1)
    group = "/".join(endpoint_rid.strip("/").split("/")[:2])
    return f"{group}/providers/{namespace}/{resource_type}/{name}"


def request_connection(
    resources: dict[str, dict[str, Any]],
    key: Callable[[str], str],
    full_id: Callable[[str], str],
    endpoint_rid: str,
    previous: dict[str, Any] | None,
) -> None:
    """A cluster endpoint was stored by a template deployment: a new one asks its target for a pending
    connection; one deployed before keeps the state it had (a redeploy of the same endpoint)."""
    endpoint_rid = _relative(endpoint_rid)
    stored = resources[key(endpoint_rid)]
    link = stored["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
    target = target_of(endpoint_rid, stored)
    cluster_id, endpoint = endpoint_rid.rsplit("/privateEndpoints/", 1)
    link["privateLinkServiceId"] = full_id(target)
    link["requestMessage"] = request_message(cluster_id, endpoint)
    if previous is not None:
        kept = previous["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
        link["privateLinkServiceConnectionState"] = kept["privateLinkServiceConnectionState"]
        return
    if resources.get(key(target)) is None:
        raise ArmError(
            400, "PrivateLinkServiceNotFound", f"the target {target} of {endpoint_rid} does not exist"
        )
    link["privateLinkServiceConnectionState"] = {
        "status": "Pending",
        "description": "",
        "actionsRequired": "None",
    }
    name = connection_name(cluster_id.rsplit("/", 1)[-1], endpoint)
    connection_id = f"{target}/privateEndpointConnections/{name}"
    resources[key(connection_id)] = {
        "id": full_id(connection_id),
        "name": name,
        "type": f"{target.split('/providers/', 1)[1].rsplit('/', 1)[0]}/privateEndpointConnections",
        "properties": {
            "privateEndpoint": {
                "id": f"/subscriptions/{MANAGED_SUBSCRIPTION}/resourceGroups/asa-managed/providers/"
                f"Microsoft.Network/privateEndpoints/{name}"
            },
            "privateLinkServiceConnectionState": {
                "status": "Pending",
                "description": link["requestMessage"],
                "actionsRequired": "None",
            },
            "provisioningState": "Succeeded",
            "streamscoreSimulatedEndpoint": key(endpoint_rid),  # the cluster endpoint it stands for
        },
    }


def is_connection(path: str) -> bool:
    """Whether `path` names one private endpoint connection (`.../privateEndpointConnections/<name>`)."""
    parts = path.strip("/").lower().split("/")
    return len(parts) >= 2 and parts[-2] == "privateendpointconnections"


def set_connection_state(
    resources: dict[str, dict[str, Any]], key: Callable[[str], str], path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """PUT of an existing connection: its state becomes the requested one (the cluster's endpoint shows
    it too). Only an existing connection can be approved; a state outside the documented ones is refused."""
    connection = resources.get(key(path))
    if connection is None:
        raise ArmError(404, "PrivateEndpointConnectionNotFound", f"no private endpoint connection {path}")
    state = (body.get("properties") or {}).get("privateLinkServiceConnectionState") or {}
    if state.get("status") not in STATES:
        raise ArmError(
            400, "InvalidRequestContent", f"privateLinkServiceConnectionState.status {state.get('status')!r}"
        )
    connection["properties"]["privateLinkServiceConnectionState"] = {
        **connection["properties"]["privateLinkServiceConnectionState"],
        **state,
    }
    endpoint = resources.get(connection["properties"].get("streamscoreSimulatedEndpoint", ""))
    if endpoint is not None:
        link = endpoint["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
        link["privateLinkServiceConnectionState"] = {
            **link["privateLinkServiceConnectionState"],
            "status": state["status"],
        }
    return connection


def with_connections(
    resources: dict[str, dict[str, Any]], target_key: str, resource: dict[str, Any]
) -> dict[str, Any]:
    """The target as Azure returns it: its private endpoint connections in its properties."""
    prefix = f"{target_key}/privateendpointconnections/"
    connections = [r for k, r in resources.items() if k.startswith(prefix) and "/" not in k[len(prefix) :]]
    if not connections:
        return resource
    shown = [{k: v for k, v in c.items()} for c in connections]
    return {**resource, "properties": {**resource.get("properties", {}), "privateEndpointConnections": shown}}


def job_reaches(
    resources: dict[str, dict[str, Any]], key: Callable[[str], str], job_id: str, target_id: str
) -> bool:
    """Whether a streaming job reaches `target_id` privately: it runs on a cluster (`properties.cluster.id`)
    with a managed private endpoint to the target whose connection the target approved."""
    job = resources.get(key(job_id))
    cluster = str(((job or {}).get("properties", {}).get("cluster") or {}).get("id") or "")
    match = _RESOURCE_ID.match(cluster)
    if match is not None:  # the template's literal resourceId() in the job's resource group
        group = "/".join(job_id.strip("/").split("/")[:2])
        cluster = f"{group}/providers/{match.group(1)}/{match.group(2)}"
    if not cluster:
        return False
    prefix, target = f"{key(cluster)}/privateendpoints/", key(target_id)
    for endpoint_key, endpoint in resources.items():
        if not endpoint_key.startswith(prefix) or "/" in endpoint_key[len(prefix) :]:
            continue
        link = endpoint["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
        if key(str(link.get("privateLinkServiceId", ""))) == target:
            return bool(link.get("privateLinkServiceConnectionState", {}).get("status") == "Approved")
    return False
