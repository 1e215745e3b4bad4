"""Build the deployment plan of an Azure environment from its rendered files (pure: no Azure calls).

Order, so that ML comes first and Stream Analytics second:
  1. ARM deployments of stage `infra` (shared infra, ML infra, Event Hubs, export, alerts), by domain.
  2. Azure ML: the training pipeline (dev) or promotion of the registry version (staging, prod),
     then the safe rollout of the endpoint (`python -m ml pipeline|rollout <env>`); each step carries
     the rendered Azure ML entities it creates (environments, data, components, pipeline job,
     endpoint, deployment) as its request bodies.
  3. A health gate on the endpoint manifest the ML rollout writes.
  4. ARM deployments of stage `after-ml` (the Stream Analytics job, which needs the endpoint's URI and key).
  5. Start the Stream Analytics job.
A template declares its stage in `metadata.streamscore.stage` (default `infra`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from environments.arm.validate import find_templates
from environments.model import Environment
from environments.naming import resource_names

DOMAIN_ORDER = ("environments", "ml", "streaming", "export", "monitoring")
STAGES = ("infra", "after-ml")
SECURE_TYPES = {"securestring", "secureobject"}


@dataclass(frozen=True)
class Step:
    """One operation of a deployment, with the request it sends."""

    kind: str  # arm-deployment | azureml | gate | asa-start
    name: str
    target: str
    request: dict[str, Any] = field(default_factory=dict)
    secure_parameters: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Plan:
    environment: str
    steps: tuple[Step, ...]

    def to_json(self) -> str:
        return json.dumps(
            {"environment": self.environment, "steps": [asdict(s) for s in self.steps]}, indent=2
        )


# Azure ML entity kinds (the `$schema` file name of Azure ML CLI v2 YAML) -> the plan step that creates them.
ENTITY_STEP = {
    "environment": "train-or-promote",
    "data": "train-or-promote",
    "commandComponent": "train-or-promote",
    "pipelineJob": "train-or-promote",
    "managedOnlineEndpoint": "endpoint-rollout",
    "managedOnlineDeployment": "endpoint-rollout",
}


def azureml_entities(build: Path) -> dict[str, dict[str, Any]]:
    """Rendered Azure ML YAML of the ml domain by plan step: {step: {path: entity}} (request bodies)."""
    by_step: dict[str, dict[str, Any]] = {step: {} for step in set(ENTITY_STEP.values())}
    for path in sorted((build / "ml").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
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
        parameters = json.loads(parameters_path.read_text(encoding="utf-8")).get("parameters", {})
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


def select_stage(plan: Plan, stage: str | None) -> Plan:
    """`ml`: everything up to the endpoint rollout; `streaming`: the health gate and what follows."""
    if stage is None:
        return plan
    kinds = [step.kind for step in plan.steps]
    gate = kinds.index("gate")
    if stage == "ml":
        return Plan(plan.environment, plan.steps[:gate])
    if stage == "streaming":
        return Plan(plan.environment, plan.steps[gate:])
    raise ValueError(f"unknown stage {stage!r}: expected 'ml' or 'streaming'")


def build_plan(env: Environment, build: Path) -> Plan:
    """The ordered steps that deploy `env` from the files rendered into `build`."""
    names = resource_names(env)
    templates = arm_templates(build)
    entities = azureml_entities(build)
    steps: list[Step] = []
    for stage in STAGES:
        if stage == "after-ml":
            ml_command = "pipeline" if env.name == "dev" else "pipeline --promote"
            for name, target, command in (
                (
                    "train-or-promote",
                    f"workspaces/{names.workspace}",
                    f"python -m ml {ml_command} {env.name}",
                ),
                (
                    "endpoint-rollout",
                    f"workspaces/{names.workspace}/onlineEndpoints/{names.endpoint}",
                    f"python -m ml rollout {env.name}",
                ),
            ):
                request = {"command": command.split(), "entities": entities[name]}
                steps.append(Step(kind="azureml", name=name, target=target, request=request))
            steps.append(
                Step(
                    kind="gate",
                    name="endpoint-healthy",
                    target=f"onlineEndpoints/{names.endpoint}",
                    request={"manifest": f"build/{env.name}/ml/endpoint.json", "require": {"healthy": True}},
                )
            )
        steps.extend(
            _arm_step(env, domain, path, template, build)
            for domain, path, template in templates
            if _stage(template) == stage
        )
    steps.append(
        Step(
            kind="asa-start",
            name="start-stream-job",
            target=f"streamingjobs/{names.stream_job}",
            request={"outputStartMode": "LastOutputEventTime", "firstStart": "JobStartTime"},
        )
    )
    return Plan(environment=env.name, steps=tuple(steps))
