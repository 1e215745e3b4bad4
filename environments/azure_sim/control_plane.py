"""The simulated control plane: resources kept by id, ARM's long-running-operation protocol, a journal.

Requests arrive as (method, url, JSON body) from `SimulatedTransport`; answers are `Reply`s.
Long-running operations follow https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations:
a PUT of a deployment answers 201 with `Azure-AsyncOperation` (polled: `InProgress`, then
`Succeeded` or `Failed` with the error), a POST action (stop, start) answers 202 with `Location`
(polled: 202, then 200 or the error). `Retry-After: 0` keeps the SDK pollers from waiting.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from environments.azure_sim import managed_private_endpoints, rules
from environments.azure_sim.blob_routing import BlobStore
from environments.azure_sim.endpoint_metrics import EndpointMetrics
from environments.azure_sim.key_calls import EndpointKeys, resolve_key_vault_references, update_function
from environments.azure_sim.ml_workspace import (
    DATASTORES,
    DEFAULT_DATASTORE,
    JOBS,
    SCHEDULES,
    WORKSPACES,
    JobRuns,
    check_references,
    datastore_secrets,
    default_datastore,
    submitted_job,
)
from environments.azure_sim.request_bodies import unknown_fields
from environments.azure_sim.rules import ArmError
from environments.azure_sim.templates import resolve_references, template_resources

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
HOST = "https://management.azure.com"
STREAM_JOBS = "microsoft.streamanalytics/streamingjobs"
APP_INSIGHTS = "microsoft.insights/components"
USER_ASSIGNED_IDENTITIES = "microsoft.managedidentity/userassignedidentities"
DEPLOYMENTS = "microsoft.resources/deployments"
ONLINE_ENDPOINTS = "microsoft.machinelearningservices/workspaces/onlineendpoints"
ONLINE_DEPLOYMENTS = f"{ONLINE_ENDPOINTS}/deployments"
WORKSPACE_CODE_VERSIONS = "microsoft.machinelearningservices/workspaces/codes/versions"
LISTED = {"microsoft.machinelearningservices/workspaces/data/versions"}  # collections a GET lists
REGISTRIES = "microsoft.machinelearningservices/registries"
REGISTRY_ASSET_VERSIONS = {
    f"{REGISTRIES}/{kind}/versions" for kind in ("environments", "components", "models", "data")
}
# Where azure-ai-ml stages an asset before writing it to a registry: a temporary blob reference, not a change.
REGISTRY_STAGING = f"{REGISTRIES}/tempdatarefs/versions"
# Where azure-ai-ml asks for a registry asset's files before downloading them: a read, not a change.
REGISTRY_BLOB_REFERENCE = f"{REGISTRIES}/datarefs/versions"
METRICS_SUFFIX = "/providers/microsoft.insights/metrics"
STREAM_JOB_FUNCTIONS = "microsoft.streamanalytics/streamingjobs/functions"
READ_ACTIONS = {"listkeys", "listsecrets"}  # POSTs that read: not journaled
WORKSPACE_DATA_VERSIONS = "microsoft.machinelearningservices/workspaces/data/versions"
# azure-ai-ml reaches registries through this prefix of the ARM host (its "management front end").
REGISTRY_FRONT_END = "mferp/managementfrontend/"
SCORING_DOMAIN = "inference.ml.azure.com"  # https://<endpoint>.<region>.inference.ml.azure.com/score
KEY_VAULT_DOMAIN = "vault.azure.net"  # https://<vault>.vault.azure.net/secrets/<name>
KEY_VAULT_SECRETS = "microsoft.keyvault/vaults/secrets"


# A data-plane handler for an online endpoint's scoring URI: (deployment resource, request body) -> reply.
Scorer = Callable[[dict[str, Any], Any], tuple[int, Any]]


@dataclass
class RoleAssignment:
    principal: str
    role: str
    scope: str  # a resource id relative to the subscription, lower case
    calls: int = 0  # the principal's calls under the scope since it was made: the simulated clock


@dataclass
class Reply:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Operation:
    """A long-running operation: answered in progress once, then with its outcome."""

    error: ArmError | None
    via_location: bool  # polled at its Location (POST actions) rather than an Azure-AsyncOperation status
    polls: int = 0


@dataclass
class SimulatedAzure:
    """One subscription's resources by id (case-insensitive), with the journal of every change made."""

    subscription_id: str = SUBSCRIPTION
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    journal: list[str] = field(default_factory=list)  # every change request received, in order
    role_delay_calls: int = rules.ROLE_PROPAGATION_CALLS
    refused_calls: int = 0  # calls answered 403 while a role assignment had not taken effect
    _operations: dict[str, _Operation] = field(default_factory=dict)
    _faults: list[tuple[str, ArmError]] = field(default_factory=list)
    _started_jobs: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    endpoint_keys: EndpointKeys = field(default_factory=EndpointKeys)  # key_calls.py
    endpoint_metrics: EndpointMetrics = field(default_factory=EndpointMetrics)  # endpoint_metrics.py
    _roles: list[RoleAssignment] = field(default_factory=list)
    _scorers: dict[str, Scorer] = field(default_factory=dict)
    jobs: JobRuns = field(default_factory=JobRuns)  # ml_workspace.py: submitted jobs and their faults
    blobs: BlobStore | None = None  # the subscription's blob storage (Azurite, blob_routing.py)

    # -- what tests read and arrange -------------------------------------------------------------

    def get(self, resource_id: str) -> dict[str, Any] | None:
        """The stored resource (`resourceGroups/...` relative to the subscription, any case), or None."""
        return self.resources.get(self._key(resource_id))

    def fail_next(self, change: str, error: ArmError) -> None:
        """Make the next change whose journal entry ends with `change` (e.g. `PUT .../deployments/x`)
        fail with `error`, once: a fault injected half-way through a deployment."""
        self._faults.append((change.lower(), error))

    def arrange(self, resource_id: str, resource: dict[str, Any]) -> None:
        """Put a resource in place as another actor did (not journaled), e.g. the endpoint an Azure ML
        rollout creates."""
        self.resources[self._key(resource_id)] = {**resource, "id": self._full_id(resource_id.strip("/"))}

    def serve_endpoint(self, endpoint_id: str, at: float, requests: int) -> None:
        """Play one minute of `requests` scoring calls into a stored online endpoint, split by its current
        traffic and mirror settings (`endpoint_metrics.py`); its metrics then show them."""
        endpoint = self.get(endpoint_id)
        if endpoint is None:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{endpoint_id}' was not found.")
        self.endpoint_metrics.serve(self._key(endpoint_id), endpoint, at, requests)

    def assign_role(self, principal: str, role: str, scope: str) -> None:
        """A role assignment made by another actor (the registry owner's `az role assignment create`): it
        takes effect only after the principal's first `role_delay_calls` calls under the scope. A
        principal with no assignment at all is not checked (the simulator models the delay, not RBAC)."""
        self._roles.append(RoleAssignment(principal, role, self._key(scope)))

    def serve(self, endpoint_name: str, scorer: Scorer) -> None:
        """Answer the data plane of online endpoint `endpoint_name` (its scoring URI) with `scorer`."""
        self._scorers[endpoint_name.lower()] = scorer

    def job_reaches(self, job_id: str, target_id: str) -> bool:
        """Whether the streaming job reaches the target privately (`managed_private_endpoints.py`)."""
        return managed_private_endpoints.job_reaches(self.resources, self._key, job_id, target_id)

    def note(self, entry: str) -> None:
        """Journal an operation performed outside ARM (an Azure ML command run by the test)."""
        self.journal.append(entry)

    # -- the HTTP surface ------------------------------------------------------------------------

    def handle(
        self, method: str, url: str, body: Any, headers: dict[str, str] | None = None, principal: str = ""
    ) -> Reply:
        """Answer one request; `principal` is who sent it (from its bearer token)."""
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith(SCORING_DOMAIN):
            return self._score(parts.hostname.split(".")[0], dict(headers or {}), body)
        if parts.hostname and parts.hostname.endswith(KEY_VAULT_DOMAIN) and method.upper() == "GET":
            return self._secret(parts.hostname.split(".")[0], parts.path.strip("/"))
        path = parts.path.strip("/")
        if path.startswith("registrymanagement/") and path.endswith("/discovery"):
            return self._discover_registry(path.split("/")[-2])
        path = path.removeprefix(REGISTRY_FRONT_END)
        prefix = f"subscriptions/{self.subscription_id}/"
        if not path.lower().startswith(prefix):
            return _error(ArmError(404, "SubscriptionNotFound", f"unknown subscription in {path}"))
        path = path[len(prefix) :]
        try:
            if path.lower().startswith("providers/microsoft.resources/operations/"):
                return self._poll(path.rsplit("/", 1)[-1])
            self._authorize(principal, path)
            if method.upper() == "GET" and path.lower().endswith(METRICS_SUFFIX):
                endpoint = path[: -len(METRICS_SUFFIX)]
                if _type_of(endpoint) != ONLINE_ENDPOINTS or self.get(endpoint) is None:
                    raise ArmError(404, "ResourceNotFound", f"no online endpoint {endpoint} with metrics")
                query = dict(parse_qsl(urlsplit(url).query))
                return Reply(200, self.endpoint_metrics.answer(self._key(endpoint), query))
            return self._route(method.upper(), path, body or {}, dict(parse_qsl(urlsplit(url).query)))
        except ArmError as exc:
            return _error(exc)

    def _route(
        self, method: str, path: str, body: dict[str, Any], query: dict[str, str] | None = None
    ) -> Reply:
        parts = path.split("/")
        if len(parts) < 2 or parts[0].lower() != "resourcegroups":
            raise ArmError(400, "InvalidRequestUri", f"not a resource-group scoped path: {path}")
        group = "/".join(parts[:2])
        if method == "POST" and _type_of(path) == REGISTRY_BLOB_REFERENCE:
            return self._registry_blob_reference(path, body)
        if method == "POST":
            target, action = path.rsplit("/", 1)
            if action.lower() not in READ_ACTIONS:
                self._change(method, path)
            return self._action(target, action.lower(), body)
        if method in ("PUT", "PATCH", "DELETE") and _type_of(path) != REGISTRY_STAGING:
            self._change(method, path)
        if method == "PUT":
            checked = unknown_fields(_type_of(path), body)
            rules.request_body_is_accepted(path, checked or [])
        if len(parts) == 2:
            return self._resource_group(method, path, body)
        rules.resource_group_must_exist(parts[1], self._key(group) in self.resources)
        if method == "GET" and _type_of(path) == ONLINE_DEPLOYMENTS and len(parts) % 2:
            return self._list_deployments(path.rsplit("/", 1)[0])
        if method == "GET" and _type_of(path) == WORKSPACE_CODE_VERSIONS and len(parts) % 2:
            return self._code_snapshot(path, (query or {}).get("hash", ""))
        if _type_of(path) in (DATASTORES, JOBS, SCHEDULES):
            return self._workspace_ml(method, path, body)
        if method == "GET":
            return self._read(path)
        if _type_of(path) in (ONLINE_ENDPOINTS, ONLINE_DEPLOYMENTS):
            return self._online(method, path, body)
        if method == "PUT" and managed_private_endpoints.is_connection(path):
            return Reply(
                200, managed_private_endpoints.set_connection_state(self.resources, self._key, path, body)
            )
        if method == "PUT" and _type_of(path) == DEPLOYMENTS:
            return self._deploy(group, path, body)
        if method == "PUT" and _type_of(path) == REGISTRY_STAGING:
            return self._staging_reference(path)
        if method == "PUT" and _type_of(path) in REGISTRY_ASSET_VERSIONS:
            return self._put_asset_version(path, body)
        if method == "PUT" and _type_of(path) == WORKSPACE_DATA_VERSIONS and self.get(path) is not None:
            rules.workspace_data_versions_are_immutable(path, self.get(path) or {}, body)
            return Reply(200, self.get(path))  # the same content again: nothing changes
        if method in ("PUT", "PATCH") and _type_of(path) == STREAM_JOB_FUNCTIONS:
            job_id, name = path.rsplit("/functions/", 1)
            return Reply(200, update_function(job_id, self.get(job_id), name, body))
        if method == "PUT":
            return self._put(path, body)
        raise ArmError(405, "MethodNotAllowed", f"{method} {path} is not simulated")

    def _change(self, method: str, path: str) -> None:
        """Journal a change request (refused ones too), or fail it if a fault was injected for it."""
        entry = f"{method} {path}"
        self.journal.append(entry)
        for index, (suffix, error) in enumerate(self._faults):
            if entry.lower().endswith(suffix):
                del self._faults[index]
                raise error

    # -- resources -------------------------------------------------------------------------------

    def _resource_group(self, method: str, path: str, body: dict[str, Any]) -> Reply:
        key, existing = self._key(path), self.resources.get(self._key(path))
        if method == "HEAD":
            return Reply(204 if existing else 404)
        if method == "GET":
            rules.resource_group_must_exist(path.split("/")[1], existing is not None)
            return Reply(200, existing)
        if method == "PUT":
            name = path.split("/")[1]
            self.resources[key] = {
                "id": f"/subscriptions/{self.subscription_id}/resourceGroups/{name}",
                "name": name,
                "type": "Microsoft.Resources/resourceGroups",
                "location": body.get("location"),
                "tags": body.get("tags", {}),
                "properties": {"provisioningState": "Succeeded"},
            }
            return Reply(200 if existing else 201, self.resources[key])
        if method == "DELETE":  # deletes every resource in the group; 202 + Location, then 200
            rules.resource_group_must_exist(path.split("/")[1], existing is not None)
            for resource_key in [k for k in self.resources if k == key or k.startswith(f"{key}/")]:
                del self.resources[resource_key]
            return self._long_running(202, None, _Operation(error=None, via_location=True))
        raise ArmError(405, "MethodNotAllowed", f"{method} on a resource group is not simulated")

    def _read(self, path: str) -> Reply:
        resource = self.get(path)
        if resource is None and _type_of(path) in LISTED and len(path.split("/")) % 2:
            prefix = f"{self._key(path)}/"
            children = [
                r for k, r in self.resources.items() if k.startswith(prefix) and "/" not in k[len(prefix) :]
            ]
            return Reply(200, {"value": children})
        if resource is None:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
        return Reply(
            200, managed_private_endpoints.with_connections(self.resources, self._key(path), resource)
        )

    def _put(self, path: str, body: dict[str, Any]) -> Reply:
        existing = self.get(path)
        self.resources[self._key(path)] = {
            **body,
            "id": self._full_id(path),
            "name": path.rsplit("/", 1)[-1],
            "properties": {**body.get("properties", {}), "provisioningState": "Succeeded"},
        }
        return Reply(200 if existing else 201, self.get(path))

    def _put_asset_version(self, path: str, body: dict[str, Any]) -> Reply:
        current = self.get(path)
        if current is None:
            # Registry assets are named by an azureml:// id: azureml://registries/<r>/<kind>/<name>/versions/<v>
            asset_id = "azureml://" + "/".join(path.split("/")[-6:])
            self.resources[self._key(path)] = {**body, "id": asset_id, "name": path.rsplit("/", 1)[-1]}
            return Reply(201, self.get(path))
        rules.registry_versions_are_immutable(path, current, body)
        return Reply(200, current)  # the same content again: nothing changes

    def _authorize(self, principal: str, path: str) -> None:
        """Registry asset calls by a principal with a role assignment there wait for it to take effect."""
        if not principal or _type_of(path) not in REGISTRY_ASSET_VERSIONS:
            return
        assignments = [
            r for r in self._roles if r.principal == principal and self._key(path).startswith(r.scope)
        ]
        for assignment in assignments:
            assignment.calls += 1
        if assignments:  # the longest-standing assignment decides
            oldest = max(assignments, key=lambda r: r.calls)
            try:
                rules.role_assignment_in_effect(
                    principal, oldest.role, oldest.scope, oldest.calls - 1, self.role_delay_calls
                )
            except ArmError:
                self.refused_calls += 1
                raise

    # -- Azure ML online endpoints -----------------------------------------------------------------

    def _online(self, method: str, path: str, body: dict[str, Any]) -> Reply:
        """PUT/DELETE of an online endpoint or one of its deployments (the traffic rules apply)."""
        if method == "PUT" and _type_of(path) == ONLINE_ENDPOINTS:
            properties = body.get("properties", {})
            traffic, mirror = properties.get("traffic") or {}, properties.get("mirrorTraffic") or {}
            rules.endpoint_traffic_is_valid(path, traffic, mirror, set(self._deployments_of(path)))
            reply = self._put(path, body)
            name, location = path.rsplit("/", 1)[-1], body.get("location", "westeurope")
            stored = self.resources[self._key(path)]["properties"]
            stored["scoringUri"] = f"https://{name}.{location}.{SCORING_DOMAIN}/score"
            stored["swaggerUri"] = f"https://{name}.{location}.{SCORING_DOMAIN}/swagger.json"
            return Reply(reply.status, self.get(path))
        endpoint = path.rsplit("/", 2)[0]
        if self.get(endpoint) is None:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{endpoint}' was not found.")
        if method == "PUT":  # with the defaults Azure fills in (read back by azure-ai-ml)
            properties = {"scaleSettings": {"scaleType": "Default"}, **body.get("properties", {})}
            return self._put(path, {**body, "properties": properties})
        if method == "DELETE":
            if self.get(path) is None:
                return Reply(204)
            stored = self.get(endpoint) or {"properties": {}}
            share = stored["properties"].get("traffic", {}).get(path.rsplit("/", 1)[-1], 0)
            rules.deployment_without_live_traffic_to_delete(path, share)
            del self.resources[self._key(path)]
            return self._long_running(202, None, _Operation(error=None, via_location=True))
        raise ArmError(405, "MethodNotAllowed", f"{method} {path} is not simulated")

    def _code_snapshot(self, versions: str, content_hash: str) -> Reply:
        """azure-ai-ml looks a code folder up by content hash before uploading it, and the service answers
        the version holding that content under any name (so the same folder is one code asset). A hash
        seen first is answered as stored already, as version 1 under the name asked: code snapshots are
        not uploaded (the plan could not name the new code version without hashing the checkout as
        azure-ai-ml does); the files a job reads (inputs, data, models) are (blob_routing.py)."""
        workspace = self._full_id(versions).lower().split("/codes/")[0]
        for resource in self.resources.values():
            same = (
                _type_of(resource["id"]) == WORKSPACE_CODE_VERSIONS and resource.get("hash") == content_hash
            )
            if same and resource["id"].lower().startswith(workspace):
                return Reply(200, {"value": [{k: v for k, v in resource.items() if k != "hash"}]})
        path = f"{versions}/1"
        self.resources[self._key(path)] = {
            "id": self._full_id(path),
            "name": "1",
            "properties": {"codeUri": f"https://simulated.blob.core.windows.net/code/{path.split('/')[-3]}"},
            "hash": content_hash,
        }
        return Reply(200, {"value": [{k: v for k, v in (self.get(path) or {}).items() if k != "hash"}]})

    def _deployments_of(self, endpoint: str) -> dict[str, dict[str, Any]]:
        prefix = f"{self._key(endpoint)}/deployments/"
        return {
            resource["name"]: resource
            for key, resource in self.resources.items()
            if key.startswith(prefix) and "/" not in key[len(prefix) :]
        }

    def _list_deployments(self, endpoint: str) -> Reply:
        return Reply(200, {"value": list(self._deployments_of(endpoint).values())})

    def _score(self, endpoint_name: str, headers: dict[str, str], body: Any) -> Reply:
        """The endpoint's data plane: the deployment named in `azureml-model-deployment`, else the one
        with the most live traffic, answered by the scorer the test serves."""
        lowered = {key.lower(): value for key, value in headers.items()}
        endpoint = next(
            (
                (key, resource)
                for key, resource in self.resources.items()
                if _type_of(key) == ONLINE_ENDPOINTS and resource["name"].lower() == endpoint_name
            ),
            None,
        )
        scorer = self._scorers.get(endpoint_name)
        if endpoint is None or scorer is None:
            return Reply(404, {"error": {"code": "NotFound", "message": f"no endpoint {endpoint_name}"}})
        traffic = endpoint[1]["properties"].get("traffic") or {}
        name = lowered.get("azureml-model-deployment") or max(traffic, key=lambda d: traffic[d], default="")
        deployment = self._deployments_of(endpoint[0]).get(name)
        if deployment is None:
            return Reply(404, {"error": {"code": "NotFound", "message": f"no deployment {name!r}"}})
        status, answer = scorer(deployment, body)
        return Reply(status, answer)

    def _secret(self, vault: str, path: str) -> Reply:
        """Key Vault's data plane: GET /secrets/<name>, the value a template deployment wrote
        (https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret)."""
        name = path.split("/")[1] if path.startswith("secrets/") else ""
        for key, resource in self.resources.items():
            if _type_of(key) == KEY_VAULT_SECRETS and key.endswith(f"/vaults/{vault}/secrets/{name}".lower()):
                value = resource["properties"].get("value")
                return Reply(200, {"value": value, "id": f"https://{vault}.{KEY_VAULT_DOMAIN}/{path}"})
        return Reply(
            404,
            {
                "error": {
                    "code": "SecretNotFound",
                    "message": f"A secret with (name/id) {name} was not found in this key vault.",
                }
            },
        )

    # -- Azure ML workspaces: datastores, jobs, schedules (ml_workspace.py) -----------------------

    def _workspace_ml(self, method: str, path: str, body: dict[str, Any]) -> Reply:
        workspace = (
            path.split("/providers/", 1)[0]
            + "/providers/"
            + "/".join(path.split("/providers/", 1)[1].split("/")[:3])
        )
        if _type_of(workspace) != WORKSPACES or self.get(workspace) is None:
            raise ArmError(404, "ResourceNotFound", f"The workspace '{workspace}' was not found.")
        kind, collection = _type_of(path), len(path.split("/")) % 2 == 1
        if kind == DATASTORES:
            store = default_datastore(self._key(workspace), self._full_id(workspace))
            if self.blobs is None:
                raise ArmError(
                    501, "NotSimulated", "blob storage is not simulated here: SimulatedAzure(blobs=...)"
                )
            self.blobs.ensure_container(store["properties"]["containerName"])
            if collection and method == "GET":
                return Reply(200, {"value": [store]})
            if path.rsplit("/", 1)[-1].lower() != DEFAULT_DATASTORE:
                raise ArmError(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
            return Reply(200, store)
        if method == "GET" and kind == JOBS:
            job = self.get(path)
            if job is None:
                raise ArmError(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
            self.jobs.advance(self._key(path), job)
            return Reply(200, job)
        if method == "GET":
            return self._read(path)
        if method == "PUT" and kind == JOBS:
            check_references(path, body, lambda ref: self.get(ref) is not None, self._registry_group)
            self.resources[self._key(path)] = submitted_job(path, self._full_id(path), body)
            self.jobs.submit(self._key(path), path.rsplit("/", 1)[-1])
            return Reply(201, self.get(path))
        if method == "PUT" and kind == SCHEDULES:
            definition = body.get("properties", {}).get("action", {}).get("jobDefinition", {})
            check_references(path, definition, lambda ref: self.get(ref) is not None, self._registry_group)
            reply = self._put(path, body)
            return self._long_running(reply.status, self.get(path), _Operation(None, via_location=False))
        raise ArmError(405, "MethodNotAllowed", f"{method} {path} is not simulated")

    def _trigger_schedule(self, path: str, schedule: dict[str, Any]) -> Reply:
        """`POST schedules/{name}/trigger`: one job of the schedule's definition, submitted now
        (https://learn.microsoft.com/cli/azure/ml/schedule#az-ml-schedule-trigger)."""
        definition = copy.deepcopy(schedule["properties"]["action"]["jobDefinition"])
        name = f"{path.rsplit('/', 1)[-1]}-{next(self._ids)}"
        job = path.split("/schedules/", 1)[0] + f"/jobs/{name}"
        self.resources[self._key(job)] = submitted_job(job, self._full_id(job), {"properties": definition})
        self.jobs.submit(self._key(job), name)
        return Reply(200, {"submissionId": name, "scheduleActionType": "CreateJob"})

    def _registry_group(self, name: str) -> str | None:
        for resource in self.resources.values():
            if _type_of(resource["id"]) == REGISTRIES and resource["name"].lower() == name.lower():
                return str(resource["id"].split("/")[4])
        return None

    # -- Azure ML registries -----------------------------------------------------------------------

    def _discover_registry(self, name: str) -> Reply:
        """Where a registry lives (azure-ai-ml asks before any registry call)."""
        for resource in self.resources.values():
            if _type_of(resource["id"]) == REGISTRIES and resource["name"].lower() == name.lower():
                group = resource["id"].split("/")[4]
                return Reply(
                    200,
                    {
                        "registryName": resource["name"],
                        "subscriptionId": self.subscription_id,
                        "resourceGroup": group,
                        "primaryRegion": resource.get("location", ""),
                        "primaryRegionResourceProviderUri": f"{HOST}/",
                    },
                )
        return _error(ArmError(404, "RegistryNotFound", f"registry {name} does not exist"))

    def _staging_reference(self, path: str) -> Reply:
        """A temporary blob location for the asset's files (unused by assets without files to upload)."""
        blob = f"https://simulated.blob.core.windows.net/staging/{path.rsplit('/', 3)[-3]}"
        return Reply(
            200,
            {
                "blobReferenceForConsumption": {
                    "blobUri": blob,
                    "storageAccountArmId": "",
                    "credential": {"credentialType": "SAS", "sasUri": f"{blob}?sig=simulated"},
                }
            },
        )

    def _registry_blob_reference(self, path: str, body: dict[str, Any]) -> Reply:
        """A registry asset version's files: a read SAS on the container of its `blobUri` (the asset's
        storage, in Azurite)."""
        asset = path.replace("/datarefs/", "/models/", 1)
        if self.get(asset) is None:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{asset}' was not found.")
        if self.blobs is None:
            raise ArmError(
                501, "NotSimulated", "blob storage is not simulated here: SimulatedAzure(blobs=...)"
            )
        container = urlsplit(str(body.get("blobUri", ""))).path.strip("/").split("/")[0]
        sas = self.blobs.container_sas_url(container)
        return Reply(
            200,
            {
                "blobReferenceForConsumption": {
                    "blobUri": body.get("blobUri"),
                    "storageAccountArmId": "",
                    "credential": {"credentialType": "SAS", "sasUri": sas},
                }
            },
        )

    def _deploy(self, group: str, path: str, body: dict[str, Any]) -> Reply:
        """A template deployment: every resource it declares is created or updated, or none is."""
        properties = body.get("properties", {})
        location = (self.get(group) or {}).get("location") or ""
        error: ArmError | None = None
        try:
            parameters = resolve_key_vault_references(properties.get("parameters", {}), self.get, self._key)
            desired = template_resources(
                self._full_id(group), properties.get("template", {}), parameters, location
            )
            for rid, resource in desired.items():
                self._check_update(rid, resource)
        except KeyError as missing:
            error = ArmError(400, "InvalidTemplate", f"parameter {missing} has no value and no default")
        except ArmError as refused:
            error = refused
        if error is None:
            for rid, resource in desired.items():
                self._store_from_template(rid, resource)
        state = "Failed" if error else "Succeeded"
        deployment: dict[str, Any] = {
            "id": self._full_id(path),
            "name": path.rsplit("/", 1)[-1],
            "properties": {"provisioningState": state, "mode": properties.get("mode")},
        }
        self.resources[self._key(path)] = deployment
        if error is not None:
            error = ArmError(
                error.status,
                "DeploymentFailed",
                f"At least one resource deployment operation failed: ({error.code}) {error.message}",
            )
        accepted = {**deployment, "properties": {**deployment["properties"], "provisioningState": "Accepted"}}
        return self._long_running(201, accepted, _Operation(error, via_location=False))

    def _check_update(self, rid: str, desired: dict[str, Any]) -> None:
        current = self.get(rid)
        if current is not None and _type_of(rid) == STREAM_JOBS:
            rules.stream_job_stopped_before_change(rid, current, desired)

    def _store_from_template(self, rid: str, resource: dict[str, Any]) -> None:
        current = self.get(rid) or {}
        scope = rid.split("/providers/", 1)[0]

        def property_of(kind: str, name: str, prop: str) -> Any:
            found = self.get(f"{scope}/providers/{kind}/{name}")
            return None if found is None else found.get("properties", {}).get(prop)

        stored = resolve_references(copy.deepcopy(resource), property_of)
        stored["properties"]["provisioningState"] = "Succeeded"
        if _type_of(rid) == APP_INSIGHTS:
            # Read-only, computed by Azure for every component:
            # https://learn.microsoft.com/rest/api/application-insights/components/get
            key = current.get("properties", {}).get("ConnectionString") or (
                f"InstrumentationKey={uuid.uuid5(uuid.NAMESPACE_URL, rid)};"
                f"IngestionEndpoint=https://{resource.get('location', 'westeurope')}.in.applicationinsights.azure.com/"
            )
            stored["properties"]["ConnectionString"] = key
        if _type_of(rid) == USER_ASSIGNED_IDENTITIES:
            # Read-only, computed by Azure: https://learn.microsoft.com/rest/api/managedidentity/user-assigned-identities/get
            kept = current.get("properties", {}).get("clientId")
            stored["properties"]["clientId"] = kept or str(uuid.uuid5(uuid.NAMESPACE_URL, rid + "/client"))
        if _type_of(rid) == STREAM_JOBS:
            kept = current.get("properties", {})
            stored["properties"]["jobState"] = kept.get("jobState", "Created")
            if "lastOutputEventTime" in kept:
                stored["properties"]["lastOutputEventTime"] = kept["lastOutputEventTime"]
        self.resources[self._key(rid)] = stored
        if _type_of(rid) == managed_private_endpoints.CLUSTER_ENDPOINTS:
            managed_private_endpoints.request_connection(
                self.resources, self._key, self._full_id, rid, current or None
            )

    # -- actions ---------------------------------------------------------------------------------

    def _action(self, target: str, action: str, body: dict[str, Any]) -> Reply:
        if _type_of(target) == DATASTORES and action == "listsecrets":
            return Reply(200, datastore_secrets())
        resource = self.get(target)
        if resource is None:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{target}' was not found.")
        kind = _type_of(target)
        if kind == STREAM_JOBS and action in ("start", "stop"):
            return self._stream_job_action(target, resource, action, body)
        if kind == ONLINE_ENDPOINTS and action == "listkeys":
            return Reply(200, self.endpoint_keys.list(self._key(target), resource["name"]))
        if kind == SCHEDULES and action == "trigger":
            return self._trigger_schedule(target, resource)
        if kind == ONLINE_ENDPOINTS and action == "regeneratekeys":
            self.endpoint_keys.regenerate(self._key(target), resource["name"], body)
            return self._long_running(202, None, _Operation(None, via_location=True))
        raise ArmError(400, "InvalidAction", f"action {action} on {kind} is not simulated")

    def _stream_job_action(
        self, target: str, job: dict[str, Any], action: str, body: dict[str, Any]
    ) -> Reply:
        key = self._key(target)
        if action == "start":
            mode = body.get("outputStartMode", "JobStartTime")
            rules.last_output_start_needs_a_previous_run(target, key in self._started_jobs, mode)
            self._started_jobs.add(key)
            job["properties"]["jobState"] = "Running"
            job["properties"]["lastStartMode"] = mode  # what the test reads: how it was started
        else:
            job["properties"]["jobState"] = "Stopped"
        return self._long_running(202, None, _Operation(None, via_location=True))

    # -- long-running operations -----------------------------------------------------------------

    def _long_running(self, status: int, body: dict[str, Any] | None, operation: _Operation) -> Reply:
        operation_id = f"op-{next(self._ids)}"
        self._operations[operation_id] = operation
        header = "Location" if operation.via_location else "Azure-AsyncOperation"
        return Reply(status, body, {header: self._operation_url(operation_id), "Retry-After": "0"})

    def _operation_url(self, operation_id: str) -> str:
        return f"{HOST}/subscriptions/{self.subscription_id}/providers/Microsoft.Resources/operations/{operation_id}?api-version=2022-09-01"

    def _poll(self, operation_id: str) -> Reply:
        operation = self._operations.get(operation_id)
        if operation is None:
            raise ArmError(404, "OperationNotFound", f"operation {operation_id} is unknown")
        operation.polls += 1
        in_progress = operation.polls == 1
        if not operation.via_location:  # an Azure-AsyncOperation status
            if in_progress:
                return Reply(200, {"status": "InProgress"}, {"Retry-After": "0"})
            if operation.error:
                return Reply(200, {"status": "Failed", **operation.error.body()})
            return Reply(200, {"status": "Succeeded"})
        if in_progress:
            return Reply(202, None, {"Location": self._operation_url(operation_id), "Retry-After": "0"})
        if operation.error:
            return _error(operation.error)
        return Reply(200, {})

    # -- ids -------------------------------------------------------------------------------------

    def _full_id(self, path: str) -> str:
        return f"/subscriptions/{self.subscription_id}/{path}"

    def _key(self, resource_id: str) -> str:
        path = resource_id.strip("/")
        prefix = f"subscriptions/{self.subscription_id}/"
        if path.lower().startswith(prefix):
            path = path[len(prefix) :]
        return path.lower()


def _type_of(path: str) -> str:
    """`namespace/type[/child type]` of a resource path (lower case), '' above the providers level."""
    lowered = path.strip("/").lower().split("/")
    if "providers" not in lowered:
        return ""
    after = lowered[len(lowered) - lowered[::-1].index("providers") :]
    namespace, rest = after[0], after[1:]
    return "/".join([namespace, *rest[0::2]])


def _error(error: ArmError) -> Reply:
    return Reply(error.status, error.body())
