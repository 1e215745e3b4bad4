"""The documented service rules the deploy depends on, each in one place with the page that documents it.

A rule raises `ArmError`, which the control plane answers the way ARM does: an HTTP status and an
`{"error": {"code", "message"}}` body (synchronously), or a failed long-running operation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class ArmError(Exception):
    """An ARM error response: status, code and message as the SDKs report them."""

    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"({self.code}) {self.message}"

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def resource_group_must_exist(resource_group: str, existing: bool) -> None:
    """A resource or deployment in a missing resource group fails with 404 ResourceGroupNotFound.

    https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-not-found
    (the error a deployment into a group that does not exist answers with)."""
    if not existing:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{resource_group}' could not be found.")


# The parts of a streaming job that cannot change while it runs.
STREAM_JOB_DEFINITION = ("inputs", "outputs", "functions", "transformation")


def stream_job_stopped_before_change(job_id: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
    """A running Stream Analytics job refuses changes to its inputs, outputs, functions or transformation:
    stop it, update it, start it again.

    The REST reference of the job and its sub-resources (create or replace, update):
    https://learn.microsoft.com/rest/api/streamanalytics/2020-03-01/streaming-jobs/create-or-replace;
    restarting "when last stopped" so that no output is lost:
    https://learn.microsoft.com/azure/stream-analytics/start-job. The code and message are ours."""
    properties = current.get("properties", {})
    if str(properties.get("jobState", "")).lower() != "running":
        return
    changed = [
        part
        for part in STREAM_JOB_DEFINITION
        if _canonical(properties.get(part)) != _canonical(desired.get("properties", {}).get(part))
    ]
    if changed:
        raise ArmError(
            409,
            "JobRunningCannotUpdate",
            f"Streaming job {job_id} is running: stop it before changing its {', '.join(changed)}.",
        )


def last_output_start_needs_a_previous_run(job_id: str, started_before: bool, mode: str) -> None:
    """`LastOutputEventTime` ("when last stopped") is available only for a job that was started before.

    https://learn.microsoft.com/azure/stream-analytics/start-job"""
    if mode == "LastOutputEventTime" and not started_before:
        raise ArmError(
            400,
            "BadRequest",
            f"Streaming job {job_id} was never started: it cannot start from its last output time.",
        )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def registry_versions_are_immutable(asset_id: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
    """An asset version in an Azure ML registry (environment, component, model, data) never changes:
    writing the same content again is a no-op, different content under the same version fails.

    https://learn.microsoft.com/azure/machine-learning/how-to-share-models-pipelines-across-workspaces-with-registries
    (a registry holds versioned assets shared by every workspace; create a new version to change one).
    The code and message are ours."""
    if _canonical(current.get("properties")) != _canonical(desired.get("properties")):
        raise ArmError(
            409,
            "Conflict",
            f"Asset {asset_id} already exists with different content: registry asset versions are immutable.",
        )


def endpoint_traffic_is_valid(
    endpoint_id: str, traffic: dict[str, int], mirror: dict[str, int], deployments: set[str]
) -> None:
    """An online endpoint's live traffic goes to existing deployments and sums to 100 (or to 0 while it
    has no deployment); mirrored traffic goes to existing deployments that take no live traffic, at most
    50% in all.

    https://learn.microsoft.com/rest/api/azureml/online-endpoints/create-or-update ("traffic: Percentage
    of traffic from endpoint to divert to each deployment. Traffic values need to sum to 100";
    "mirrorTraffic: ... Traffic values need to sum to utmost 50");
    https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints (a
    deployment takes live or mirrored traffic, not both). The code and messages are ours."""
    known = {name.lower() for name in deployments}
    unknown = sorted(name for name in {*traffic, *mirror} if name.lower() not in known)
    if unknown:
        raise ArmError(
            400,
            "BadArgument",
            f"Endpoint {endpoint_id}: traffic names deployments that do not exist: {', '.join(unknown)}",
        )
    live = sum(traffic.values())
    if live != 100 and not (live == 0 and not deployments):
        raise ArmError(
            400,
            "BadArgument",
            f"Endpoint {endpoint_id}: traffic {traffic} sums to {live}; it must sum to 100"
            + (" (or 0 while the endpoint has no deployment)" if not deployments else ""),
        )
    both = sorted(name for name, share in mirror.items() if share and traffic.get(name))
    if both:
        raise ArmError(
            400,
            "BadArgument",
            f"Endpoint {endpoint_id}: deployment {', '.join(both)} takes live traffic; "
            "mirrored traffic goes only to a deployment with 0% live traffic",
        )
    if sum(mirror.values()) > 50:
        raise ArmError(
            400,
            "BadArgument",
            f"Endpoint {endpoint_id}: mirror traffic {mirror} sums to {sum(mirror.values())}; at most 50",
        )


def deployment_without_live_traffic_to_delete(deployment_id: str, share: int) -> None:
    """A deployment that takes live traffic cannot be deleted: set its traffic to 0% first.

    https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints
    ("Remove the old deployment" comes after all traffic moved to the new one). The code and message are ours."""
    if share:
        raise ArmError(
            400,
            "BadArgument",
            f"Deployment {deployment_id} takes {share}% of the endpoint's live traffic: set it to 0% before deleting it",
        )


# Role assignments take effect after a delay the simulator counts in the principal's calls (no clock).
ROLE_PROPAGATION_CALLS = 3


def role_assignment_in_effect(
    principal: str, role: str, scope: str, calls_since_granted: int, delay: int = ROLE_PROPAGATION_CALLS
) -> None:
    """A new role assignment takes effect only after a delay: until then the principal's calls that need
    the role fail with 403 AuthorizationFailed.

    https://learn.microsoft.com/azure/role-based-access-control/troubleshooting ("Symptom - Role
    assignment changes are not being detected": Azure Resource Manager caches configurations, changes can
    take up to 10 minutes, 30 for management group scopes, to take effect). ARM's error wording."""
    if calls_since_granted < delay:
        raise ArmError(
            403,
            "AuthorizationFailed",
            f"The client '{principal}' with object id '{principal}' does not have authorization to perform "
            f"an action that needs role '{role}' over scope '{scope}' or the scope is invalid. If access was "
            "recently granted, please refresh your credentials.",
        )


def request_body_is_accepted(path: str, unknown: list[str]) -> None:
    """A request body with a field the resource type does not define is refused with 400, naming it.

    https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors
    (InvalidRequestContent: "the deployment values either include values that aren't recognized, or
    required values are missing"). The fields a type defines are those of the SDKs' generated models."""
    if unknown:
        raise ArmError(
            400,
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: could not find member "
            f"{', '.join(repr(field) for field in unknown)} on the request body of {path}.",
        )


def job_assets_must_exist(job_id: str, missing: list[str]) -> None:
    """A job (or a schedule's job) referencing a code, component, environment, data or model version
    that does not exist is refused when it is submitted, before it runs.

    https://learn.microsoft.com/rest/api/azureml/jobs/create-or-update (a job names its assets by id:
    `componentId`, `environmentId`, `codeId`, inputs' `uri`); https://learn.microsoft.com/azure/machine-learning/how-to-manage-inputs-outputs-pipeline
    (`azureml:<name>:<version>` inputs are resolved at submission). The code and message are ours."""
    if missing:
        raise ArmError(
            400,
            "UserError",
            f"Job {job_id} references asset versions that do not exist: {', '.join(missing)}",
        )


def workspace_data_versions_are_immutable(
    asset_id: str, current: dict[str, Any], desired: dict[str, Any]
) -> None:
    """A data asset version, once created, is immutable: it cannot be modified or deleted (writing the
    same content again changes nothing; other content under that version is refused).

    https://learn.microsoft.com/azure/machine-learning/how-to-create-register-datasets ("Once you create a
    data asset version, it is immutable. It cannot be modified or deleted."). The code and message are ours."""
    keys = ("dataUri", "dataType", "tags")
    before = {k: current.get("properties", {}).get(k) for k in keys}
    after = {k: desired.get("properties", {}).get(k) for k in keys}
    if _canonical(before) != _canonical(after):
        raise ArmError(
            409,
            "Conflict",
            f"Data asset version {asset_id} already exists with different content: data versions are immutable.",
        )
