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
