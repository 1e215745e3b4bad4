"""Build the deployment plan of an Azure environment from its rendered files (pure: no Azure calls).

Order, so that ML comes first and Stream Analytics second:
  0. The resource group: created when the subscription has none, else checked.
  1. ARM deployments of stage `infra` (shared infra, ML infra, Event Hubs, export, alerts), by domain;
     right after the one creating the Stream Analytics cluster's managed private endpoints, their approval
     on their targets while any is not approved (`cluster_approvals.py`; control plane).
  2. Azure ML: the training pipeline (dev) or promotion of the release's exact model version
     (staging, prod: no training entities), then the safe rollout of the endpoint
     (`python -m ml pipeline|rollout <env>`); each step carries the rendered Azure ML entities it
     creates as its request bodies and, in `operations`, every Azure operation it performs in order
     (data upload, registry writes, model sharing, registry access: `ml_operations`); the endpoint
     rollout carries, in `settings`, a reference to the deployed Application Insights resource whose
     connection string apply hands it (`deployed_settings`); the drift job's schedule names the Key
     Vault secret ARM writes that string into, which the job reads when it starts; the inference export's
     schedule (`python -m export schedule`, decision 0016) follows it.
  3. The release manifest (`release.py`): dev writes the versions it validated, staging and prod the
     release they were given, each with its own smoke-tested deployment recorded.
  4. A health gate on the endpoint manifest the ML rollout writes.
  5. The endpoint key into Key Vault (`store-endpoint-key`, while the secret does not exist;
     `endpoint_key.py`), then the ARM deployments of stage `after-ml` (the Stream Analytics job, which
     needs the endpoint's URI, and its key as a Key Vault reference ARM resolves).
     A running job refuses changes to its inputs, outputs, functions and query, so when its definition
     changed it is stopped first and started again from its last output time (no output lost); an
     unchanged job is not redeployed, and a running unchanged job is left untouched.
  6. Start the Stream Analytics job (when it is not running).
A template declares its stage in `metadata.streamscore.stage` (default `infra`).
The plan is built from the rendered files and the `AzureState` read before (pure: no Azure calls here);
apply performs exactly these steps, in this order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from environments.arm.validate import find_templates
from environments.deploy.azure_state import DEFINITION_TAG, AzureState
from environments.deploy.cluster_approvals import (
    APPROVAL_KIND,
    APPROVAL_NAME,
    approval_request,
    cluster_id,
    creates_cluster_endpoints,
)
from environments.deploy.deployed_settings import (
    drift_sign_in_reference,
    export_sign_in_reference,
    telemetry_reference,
)
from environments.deploy.documented_risks import documented_risks
from environments.deploy.endpoint_key import ENDPOINT_KEY_SECRET, KEY_TAG, KEYS, KeyPlaces
from environments.deploy.ml_operations import (
    drift_schedule_changes,
    drift_schedule_operations,
    export_schedule_changes,
    export_schedule_operations,
    promote_changes,
    promote_operations,
    registry_owner,
    rollout_request,
    train_operations,
)
from environments.deploy.outside_network import OutsideWorkload, outside_workloads
from environments.deploy.release import (
    RELEASE_CREATOR,
    RELEASE_FILE,
    ReleaseError,
    check_release,
    rendered_assets,
)
from environments.model import Environment
from environments.naming import resource_names
from environments.unique_keys import load_yaml, loads_json

DOMAIN_ORDER = ("environments", "ml", "streaming", "export", "monitoring")
STAGES = ("infra", "after-ml")
SECURE_TYPES = {"securestring", "secureobject"}
STREAM_JOB_TYPE = "microsoft.streamanalytics/streamingjobs"
# Output start modes (StartStreamingJobParameters.outputStartMode): https://learn.microsoft.com/azure/stream-analytics/start-job
FIRST_START = "JobStartTime"
RESUME = "LastOutputEventTime"


@dataclass(frozen=True)
class Step:
    """One operation of a deployment, with the request it sends."""

    kind: str  # resource-group | arm-deployment | private-endpoint-approval | azureml | release | gate |
    # key-vault-secret | asa-stop | asa-start
    name: str
    target: str
    request: dict[str, Any] = field(default_factory=dict)
    secure_parameters: tuple[str, ...] = ()
    source: str = ""
    # True where the step talks to a resource's data plane (Azure ML jobs, registry writes, blob uploads,
    # smoke tests against the endpoint) in a network: private environment: it runs only from inside the
    # environment's virtual network (the self-hosted runner, docs/runners.md). Control-plane steps (ARM
    # deployments, job start/stop) and local ones run anywhere.
    needs_network: bool = False


@dataclass(frozen=True)
class Plan:
    environment: str
    steps: tuple[Step, ...]
    # Workloads that deploy but cannot reach the private resources they use (outside_network.py).
    outside: tuple[OutsideWorkload, ...] = ()
    # What the documentation says will not work in this environment (documented_risks.py), said loudly.
    risks: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "environment": self.environment,
                "steps": [asdict(s) for s in self.steps],
                "outside_network": [asdict(w) for w in self.outside],
                "risks": list(self.risks),
            },
            indent=2,
        )


# Azure ML entity kinds (the `$schema` file name of Azure ML CLI v2 YAML) -> the plan step that creates them.
ENTITY_STEP = {
    "environment": "train",
    "data": "train",
    "commandComponent": "train",
    "pipelineJob": "train",
    "managedOnlineEndpoint": "endpoint-rollout",
    "managedOnlineDeployment": "endpoint-rollout",
}


def azureml_entities(build: Path) -> dict[str, dict[str, Any]]:
    """Rendered Azure ML YAML of the ml domain by plan step: {step: {path: entity}} (request bodies)."""
    by_step: dict[str, dict[str, Any]] = {step: {} for step in set(ENTITY_STEP.values())}
    for path in sorted((build / "ml").rglob("*.yml")):
        document = load_yaml(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or "$schema" not in document:
            continue
        kind = str(document["$schema"]).rsplit("/", 1)[-1].removesuffix(".schema.json")
        if kind in ENTITY_STEP:
            by_step[ENTITY_STEP[kind]][path.relative_to(build).as_posix()] = document
    return by_step


def _stage(template: dict[str, Any]) -> str:
    stage = template.get("metadata", {}).get("streamscore", {}).get("stage", "infra")
    if stage not in STAGES:
        raise ValueError(f"metadata.streamscore.stage must be one of {STAGES}, got {stage!r}")
    return str(stage)


def arm_templates(build: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    """(domain, path, template) for every rendered ARM template, in domain order then file name."""
    return [
        (domain, path, template)
        for domain in DOMAIN_ORDER
        for path, template in find_templates(build / domain)
    ]


def _arm_step(env: Environment, domain: str, path: Path, template: dict[str, Any], build: Path) -> Step:
    parameters_path = path.with_name(path.name.removesuffix(".json") + ".parameters.json")
    parameters = {}
    if parameters_path.is_file():
        parameters = loads_json(parameters_path.read_text(encoding="utf-8")).get("parameters", {})
    secure = tuple(
        sorted(
            name
            for name, spec in template.get("parameters", {}).items()
            if str(spec.get("type", "")).lower() in SECURE_TYPES
        )
    )
    name = f"{resource_names(env).base}-{domain}-{path.stem}"[:64]
    resource_group = env.azure.resource_group if env.azure else "(local)"
    return Step(
        kind="arm-deployment",
        name=name,
        target=f"resourceGroups/{resource_group}/providers/Microsoft.Resources/deployments/{name}",
        request={"properties": {"mode": "Incremental", "template": template, "parameters": parameters}},
        secure_parameters=secure,
        source=path.relative_to(build).as_posix(),
    )


def _part(plan: Plan, steps: tuple[Step, ...]) -> Plan:
    """The plan cut to `steps`, with the outside-network workloads those steps deploy."""
    sources = {step.source for step in steps}
    return Plan(plan.environment, steps, tuple(w for w in plan.outside if w.source in sources), plan.risks)


def select_stage(plan: Plan, stage: str | None) -> Plan:
    """`ml`: everything up to the health gate; `streaming`: the gate and what follows; `infra`: the
    resource group and the ARM deployments before the first Azure ML step (what a training run submitted
    ahead of the deploy needs: the workflow runs it first, then `ml` again, which changes nothing there)."""
    if stage is None:
        return plan
    kinds = [step.kind for step in plan.steps]
    gate = kinds.index("gate")
    if stage == "infra":
        return _part(plan, plan.steps[: kinds.index("azureml")])
    if stage == "ml":
        return _part(plan, plan.steps[:gate])
    if stage == "streaming":
        return _part(plan, plan.steps[gate:])
    raise ValueError(f"unknown stage {stage!r}: expected 'infra', 'ml' or 'streaming'")


def _resource_group_step(env: Environment, state: AzureState) -> Step:
    assert env.azure is not None
    group = env.azure.resource_group
    if state.resource_group_exists:
        return Step(kind="resource-group", name="check-resource-group", target=f"resourceGroups/{group}")
    return Step(
        kind="resource-group",
        name="create-resource-group",
        target=f"resourceGroups/{group}",
        request={"location": env.location, "tags": env.tags},
    )


def _stream_job_resource(request: dict[str, Any]) -> dict[str, Any] | None:
    """The streaming job a deployment request's template declares, if any."""
    resources = request["properties"]["template"].get("resources", [])
    return next((r for r in resources if str(r.get("type", "")).lower() == STREAM_JOB_TYPE), None)


def definition_hash(step: Step) -> str:
    """The content hash of a deployment's request (template and non-secure parameters)."""
    canonical = json.dumps(step.request, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _tagged(step: Step, definition: str) -> Step:
    """The step with the job's definition hash as a tag, so that the next plan can tell a change."""
    request = json.loads(json.dumps(step.request))
    job = _stream_job_resource(request)
    assert job is not None
    job["tags"] = {**job.get("tags", {}), DEFINITION_TAG: definition}
    return Step(step.kind, step.name, step.target, request, step.secure_parameters, step.source)


def _stream_job_steps(env: Environment, deploy: Step, state: AzureState) -> list[Step]:
    """Stop, update, start: only what the job's current state and definition call for."""
    assert env.azure is not None
    job_target = (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.StreamAnalytics/streamingjobs/"
        f"{resource_names(env).stream_job}"
    )
    definition = definition_hash(deploy)
    current = state.stream_job
    if current is None:
        start = {"outputStartMode": FIRST_START}
        return [_tagged(deploy, definition), Step("asa-start", "start-stream-job", job_target, start)]
    steps: list[Step] = []
    changed = current.definition != definition
    if changed and current.running:
        steps.append(Step(kind="asa-stop", name="stop-stream-job", target=job_target))
    if changed:
        steps.append(_tagged(deploy, definition))
    if changed or not current.running:
        mode = RESUME if current.started_before else FIRST_START
        steps.append(Step("asa-start", "start-stream-job", job_target, {"outputStartMode": mode}))
    return steps


def _ml_steps(env: Environment, build: Path, release: dict[str, Any] | None, state: AzureState) -> list[Step]:
    """Train (dev) or promote the release's model version, roll the endpoint out, write the release."""
    names = resource_names(env)
    entities = azureml_entities(build)
    owner = registry_owner(env)
    workspace = f"workspaces/{names.workspace}"
    if release is None:
        first = Step(
            kind="azureml",
            name="train",
            target=workspace,
            request={
                "command": ["python", "-m", "ml", "pipeline", env.name],
                "entities": entities["train"],
                "operations": train_operations(env, owner, build),
                # the promotion the training run ends with (the run's own requests depend on its inputs)
                "changes": promote_changes(env, owner),
            },
        )
    else:
        version = str(release["model"]["version"])
        first = Step(
            kind="azureml",
            name="promote",
            target=workspace,
            request={
                "command": ["python", "-m", "ml", "pipeline", env.name, "--promote", "--version", version],
                "entities": {},
                "operations": promote_operations(env, owner, version),
                "changes": promote_changes(env, owner),
            },
        )
    rollout = Step(
        kind="azureml",
        name="endpoint-rollout",
        target=f"{workspace}/onlineEndpoints/{names.endpoint}",
        request={
            "command": ["python", "-m", "ml", "rollout", env.name],
            "entities": entities["endpoint-rollout"],
            **rollout_request(env, owner, build, state, None if release is None else version),
            "settings": telemetry_reference(env),
        },
    )
    drift = Step(
        kind="azureml",
        name="drift-schedule",
        target=f"{workspace}/schedules/{names.base}-drift",
        request={
            "command": ["python", "-m", "monitoring", "drift-pipeline", env.name, "--schedule"],
            "entities": {},
            "operations": drift_schedule_operations(env),
            "changes": drift_schedule_changes(env, owner, build, state),
            "settings": drift_sign_in_reference(env),
        },
    )
    export = Step(
        kind="azureml",
        name="export-schedule",
        target=f"{workspace}/schedules/{names.base}-export",
        request={
            "command": ["python", "-m", "export", "schedule", env.name],
            "entities": {},
            "operations": export_schedule_operations(env),
            "changes": export_schedule_changes(env, build, state),
            "settings": export_sign_in_reference(env),
        },
    )
    record = Step(
        kind="release",
        name="write-release-manifest",
        target=f"build/{env.name}/{RELEASE_FILE}",
        request={
            "release": release,
            "assets": rendered_assets(build),
            "model_manifest": f"build/{env.name}/state/ml/model-manifest.json",
        },
    )
    if env.network == "private":
        first, rollout, drift, export = (
            replace(step, needs_network=True) for step in (first, rollout, drift, export)
        )
    return [first, rollout, drift, export, record]


def _endpoint_key_step(env: Environment) -> Step:
    """Key Vault gets the endpoint's primary key (read and written at apply time, never in the plan)."""
    return Step(
        kind="key-vault-secret",
        name="store-endpoint-key",
        target=KeyPlaces.of(env).secret_id,
        request={
            "secret": ENDPOINT_KEY_SECRET,
            "value_from": f"online endpoint {resource_names(env).endpoint}: {KEYS[0]} key",
            "tags": {KEY_TAG: KEYS[0]},
        },
    )


def build_plan(
    env: Environment, build: Path, state: AzureState, release: dict[str, Any] | None = None
) -> Plan:
    """The ordered steps that deploy `env` from the files rendered into `build`, given what is deployed.

    dev creates a release (`release` must be None); staging and prod deploy exactly `release`, refused
    with one line (`ReleaseError`) unless the stage before deployed and smoke-tested it."""
    names = resource_names(env)
    if env.name == RELEASE_CREATOR and release is not None:
        raise ReleaseError(
            f"{env.name}: creates releases and deploys none (got release {release.get('release')})"
        )
    if env.name != RELEASE_CREATOR:
        if release is None:
            raise ReleaseError(
                f"{env.name}: deploys a release manifest only (--release build/<stage>/{RELEASE_FILE}); "
                "it never reads the registry's latest version"
            )
        if not release.get("preview"):
            check_release(env.name, release, rendered_assets(build))
    templates = arm_templates(build)
    steps: list[Step] = [_resource_group_step(env, state)]
    for stage in STAGES:
        if stage == "after-ml":
            steps.extend(_ml_steps(env, build, release, state))
            steps.append(
                Step(
                    kind="gate",
                    name="endpoint-healthy",
                    target=f"onlineEndpoints/{names.endpoint}",
                    request={"manifest": f"build/{env.name}/ml/endpoint.json", "require": {"healthy": True}},
                )
            )
            if not state.endpoint_key_stored:
                steps.append(_endpoint_key_step(env))
        for domain, path, template in templates:
            if _stage(template) != stage:
                continue
            step = _arm_step(env, domain, path, template, build)
            if _stream_job_resource(step.request) is None:
                steps.append(step)
                if creates_cluster_endpoints(template):
                    approval = approval_request(env, state.approved_cluster_endpoints)
                    if approval is not None:
                        steps.append(Step(APPROVAL_KIND, APPROVAL_NAME, cluster_id(env), approval))
            else:
                steps.extend(_stream_job_steps(env, step, state))
    sources = ((path.relative_to(build).as_posix(), template) for _, path, template in templates)
    return Plan(
        environment=env.name,
        steps=tuple(steps),
        outside=outside_workloads(env, sources),
        risks=documented_risks(env, build),
    )
