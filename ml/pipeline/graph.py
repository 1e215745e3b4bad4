"""The pipeline job as data: steps in run order, each with its component and where its inputs come from.

Pure: reads the rendered pipeline YAML and its components' YAML and resolves `${{parent.inputs.x}}` and
`${{parent.jobs.step.outputs.y}}` bindings; running the steps is the runner's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml

from environments.unique_keys import load_yaml
from ml.pipeline.errors import PipelineDefinitionError

_PARENT_INPUT = re.compile(r"^\$\{\{\s*parent\.inputs\.([A-Za-z_][\w]*)\s*\}\}$")
_JOB_OUTPUT = re.compile(r"^\$\{\{\s*parent\.jobs\.([A-Za-z_][\w]*)\.outputs\.([A-Za-z_][\w]*)\s*\}\}$")
_PARENT_OUTPUT = re.compile(r"^\$\{\{\s*parent\.outputs\.([A-Za-z_][\w]*)\s*\}\}$")
PATH_TYPES = ("uri_file", "uri_folder", "mlflow_model", "custom_model", "mltable")


@dataclass(frozen=True)
class ParentInput:
    name: str


@dataclass(frozen=True)
class JobOutput:
    job: str
    output: str


Binding = ParentInput | JobOutput | Any


@dataclass(frozen=True)
class Component:
    """The parts of a command component the runner needs."""

    path: Path
    name: str
    command: str
    code: Path
    inputs: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Step:
    name: str
    component: Component
    inputs: dict[str, Binding]
    outputs: dict[str, str | None] = field(default_factory=dict)  # output -> pipeline output it feeds


@dataclass(frozen=True)
class PipelineInput:
    name: str
    type: str | None
    value: Any  # a literal, or a resolved local path for path types


@dataclass(frozen=True)
class Pipeline:
    path: Path
    experiment: str
    inputs: dict[str, PipelineInput]
    steps: tuple[Step, ...]


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PipelineDefinitionError(path, "(file)", f"cannot read: {exc}") from exc
    if not isinstance(document, dict):
        raise PipelineDefinitionError(path, "(root)", "expected a mapping")
    return document


def load_component(path: Path) -> Component:
    """A command component YAML (its command, code folder, inputs and outputs)."""
    document = _read_yaml(path)
    if document.get("type", "command") != "command":
        raise PipelineDefinitionError(
            path, "type", f"only command components run locally, not {document['type']!r}"
        )
    for key in ("name", "command", "code"):
        if not isinstance(document.get(key), str):
            raise PipelineDefinitionError(path, key, "missing or not a string")
    return Component(
        path=path,
        name=document["name"],
        command=document["command"],
        code=(path.parent / document["code"]).resolve(),
        inputs=dict(document.get("inputs") or {}),
        outputs=dict(document.get("outputs") or {}),
    )


def _binding(path: Path, key: str, value: Any) -> Binding:
    if isinstance(value, str) and value.startswith("${{"):
        if match := _PARENT_INPUT.match(value):
            return ParentInput(match.group(1))
        if match := _JOB_OUTPUT.match(value):
            return JobOutput(match.group(1), match.group(2))
        raise PipelineDefinitionError(path, key, f"unsupported binding {value!r}")
    return value


def _pipeline_input(path: Path, name: str, raw: Any) -> PipelineInput:
    if not isinstance(raw, dict):
        return PipelineInput(name, None, raw)
    kind = raw.get("type")
    if kind in PATH_TYPES:
        location = str(raw.get("path", ""))
        if not location or location.startswith(("azureml:", "azureml://", "https://", "wasbs://")):
            return PipelineInput(name, kind, location or None)
        return PipelineInput(name, kind, (path.parent / location).resolve())
    return PipelineInput(name, kind, raw.get("default", raw.get("value")))


def load_pipeline(path: Path) -> Pipeline:
    """The pipeline job YAML with its components, steps sorted so that each runs after its inputs exist."""
    document = _read_yaml(path)
    if document.get("type") != "pipeline":
        raise PipelineDefinitionError(path, "type", "expected 'pipeline'")
    inputs = {name: _pipeline_input(path, name, raw) for name, raw in (document.get("inputs") or {}).items()}
    jobs = document.get("jobs") or {}
    if not jobs:
        raise PipelineDefinitionError(path, "jobs", "no jobs")
    steps: dict[str, Step] = {}
    for job_name, job in jobs.items():
        key = f"jobs.{job_name}"
        if not isinstance(job.get("component"), str) or job["component"].startswith("azureml:"):
            raise PipelineDefinitionError(
                path, f"{key}.component", "the local runner needs a component file path"
            )
        component = load_component((path.parent / job["component"]).resolve())
        bindings = {n: _binding(path, f"{key}.inputs.{n}", v) for n, v in (job.get("inputs") or {}).items()}
        for name, binding in bindings.items():
            if name not in component.inputs:
                raise PipelineDefinitionError(
                    path, f"{key}.inputs.{name}", f"not an input of {component.name}"
                )
            if isinstance(binding, ParentInput) and binding.name not in inputs:
                raise PipelineDefinitionError(
                    path, f"{key}.inputs.{name}", f"no pipeline input {binding.name!r}"
                )
        outputs: dict[str, str | None] = {name: None for name in component.outputs}
        for name, value in (job.get("outputs") or {}).items():
            match = _PARENT_OUTPUT.match(str(value)) if value else None
            outputs[name] = match.group(1) if match else None
        steps[job_name] = Step(job_name, component, bindings, outputs)
    return Pipeline(path, str(document.get("experiment_name", path.stem)), inputs, _ordered(path, steps))


def _ordered(path: Path, steps: dict[str, Step]) -> tuple[Step, ...]:
    graph: dict[str, set[str]] = {}
    for step in steps.values():
        graph[step.name] = set()
        for name, binding in step.inputs.items():
            if isinstance(binding, JobOutput):
                upstream = steps.get(binding.job)
                if upstream is None or binding.output not in upstream.component.outputs:
                    key = f"jobs.{step.name}.inputs.{name}"
                    raise PipelineDefinitionError(
                        path, key, f"no output {binding.output!r} of job {binding.job!r}"
                    )
                graph[step.name].add(binding.job)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise PipelineDefinitionError(
            path, "jobs", f"jobs depend on each other in a cycle: {exc.args[1]}"
        ) from exc
    return tuple(steps[name] for name in order)
