"""Azure ML workspace calls of the simulated control plane: the default datastore, jobs, schedules.

What azure-ai-ml's `MLClient` on a workspace sends for a pipeline job or a schedule of one, answered
the way the service does (each rule in `rules.py` with its page):
- `datastores/workspaceblobstore` (GET, the default in a list, POST `listSecrets`): every workspace has
  a default blob datastore on its storage account, here Azurite's account (`blob_routing.py`), so the
  files azure-ai-ml uploads for a job (code, local inputs, data asset files) are really stored;
- `jobs/{name}` (PUT, GET): a job referencing an asset version that does not exist is refused; a
  submitted job is `Running` at its first GET and ends at the next one, `Completed` or, when the test
  said so (`JobFaults`), `Failed` with the error the test gave; a job name is taken once;
- `schedules/{name}` (PUT, a long-running operation; GET) and `POST schedules/{name}/trigger`: the
  schedule's job definition is checked like a job's; a trigger submits one job of it.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from environments.azure_sim import rules
from environments.azure_sim.blob_routing import STORAGE_ACCOUNT, STORAGE_KEY

WORKSPACES = "microsoft.machinelearningservices/workspaces"
DATASTORES = f"{WORKSPACES}/datastores"
JOBS = f"{WORKSPACES}/jobs"
SCHEDULES = f"{WORKSPACES}/schedules"
DEFAULT_DATASTORE = "workspaceblobstore"
# Terminal job statuses: https://learn.microsoft.com/rest/api/azureml/jobs/get (JobStatus)
TERMINAL = ("Completed", "Failed", "Canceled")

# Asset references a job body may hold: ARM ids of versions, and azureml:// registry URIs.
_ARM_VERSION = re.compile(
    r"/subscriptions/[^/\s\"]+/(resourceGroups/[^/\s\"]+/providers/Microsoft\.MachineLearningServices/"
    r"(?:workspaces|registries)/[^/\s\"]+/(?:codes|components|environments|data|models)/[^/\s\"]+/versions/"
    r"[^/\s\"?]+)",
    re.IGNORECASE,
)
_REGISTRY_URI = re.compile(
    r"azureml://registries/([^/\s\"]+)/(codes|components|environments|data|models)/([^/\s\"]+)/versions/"
    r"([^/\s\"]+)",
    re.IGNORECASE,
)


def default_container(workspace_id: str) -> str:
    """The default datastore's blob container of a workspace (`azureml-blobstore-<workspace guid>`)."""
    return f"azureml-blobstore-{uuid.uuid5(uuid.NAMESPACE_URL, workspace_id.lower())}"


def default_datastore(workspace_id: str, full_id: str) -> dict[str, Any]:
    """Every workspace has a default blob datastore, `workspaceblobstore`, on its storage account:
    https://learn.microsoft.com/azure/machine-learning/concept-data#datastore (here Azurite's account)."""
    return {
        "id": f"{full_id}/datastores/{DEFAULT_DATASTORE}",
        "name": DEFAULT_DATASTORE,
        "type": "Microsoft.MachineLearningServices/workspaces/datastores",
        "properties": {
            "datastoreType": "AzureBlob",
            "accountName": STORAGE_ACCOUNT,
            "containerName": default_container(workspace_id),
            "endpoint": "core.windows.net",
            "protocol": "https",
            "isDefault": True,
            "credentials": {"credentialsType": "AccountKey"},
        },
    }


def datastore_secrets() -> dict[str, Any]:
    """`POST datastores/{name}/listSecrets`: https://learn.microsoft.com/rest/api/azureml/datastores/list-secrets"""
    return {"secretsType": "AccountKey", "key": STORAGE_KEY}


def referenced_assets(body: Any, registry_groups: Callable[[str], str | None]) -> list[str]:
    """The asset versions a job or schedule body references, as resource paths below the subscription
    (registry URIs resolved to their registry's resource group by `registry_groups`)."""
    text = json.dumps(body)
    found = [match.group(1) for match in _ARM_VERSION.finditer(text)]
    for registry, kind, name, version in _REGISTRY_URI.findall(text):
        group = registry_groups(registry) or "?"
        found.append(
            f"resourceGroups/{group}/providers/Microsoft.MachineLearningServices/registries/{registry}/"
            f"{kind}/{name}/versions/{version}"
        )
    return sorted(set(found))


@dataclass
class JobFaults:
    """Jobs the test makes fail: the next job whose name starts with a prefix ends `Failed` with the
    error (code, message), once."""

    pending: list[tuple[str, str, str]] = field(default_factory=list)

    def fail_next(self, prefix: str, code: str, message: str) -> None:
        self.pending.append((prefix, code, message))

    def take(self, job_name: str) -> tuple[str, str] | None:
        for index, (prefix, code, message) in enumerate(self.pending):
            if job_name.startswith(prefix):
                del self.pending[index]
                return code, message
        return None


@dataclass
class JobRuns:
    """The jobs submitted, their polls and how they end (the simulated compute)."""

    faults: JobFaults = field(default_factory=JobFaults)
    polls: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    submitted: list[str] = field(default_factory=list)  # job names, in order

    def submit(self, key: str, name: str) -> None:
        self.polls[key] = 0
        self.outcomes[key] = self.faults.take(name)
        self.submitted.append(name)

    def advance(self, key: str, job: dict[str, Any]) -> bool:
        """Move a running job on by one GET; True when it ended now (Completed: its outputs are due)."""
        properties = job["properties"]
        if properties.get("status") in TERMINAL or key not in self.polls:
            return False
        self.polls[key] += 1
        if self.polls[key] < 2:
            properties["status"] = "Running"
            return False
        outcome = self.outcomes.get(key)
        if outcome is None:
            properties["status"] = "Completed"
            return True
        code, message = outcome
        properties["status"] = "Failed"
        properties["error"] = {"code": code, "message": message}
        return False


def submitted_job(path: str, full_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The stored job: the body with what the service adds (status, studio URL, output locations)."""
    name = path.rsplit("/", 1)[-1]
    stored = copy.deepcopy(body)
    properties = stored.setdefault("properties", {})
    properties["status"] = "NotStarted"
    properties.setdefault("services", {})["Studio"] = {
        "endpoint": f"https://ml.azure.com/runs/{name}",
        "jobServiceType": "Studio",
    }
    return {
        **stored,
        "id": full_id,
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/jobs",
    }


def check_references(
    path: str, body: Any, exists: Callable[[str], bool], groups: Callable[[str], str | None]
) -> None:
    missing = [ref for ref in referenced_assets(body, groups) if not exists(ref)]
    rules.job_assets_must_exist(path, missing)
