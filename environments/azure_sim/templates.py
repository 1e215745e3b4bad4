"""The resources an ARM template deployment creates, as the simulated control plane stores them.

A deliberately small template engine: `[parameters('x')]`, `[variables('x')]` and
`[resourceGroup().location]` are evaluated; any other expression (`resourceId`, `guid`, `reference`, ...)
is kept as its literal text, which is deterministic, so the same template yields the same resources.
Only top-level resources without an explicit `scope` are materialized (role assignments and other
extension resources are counted in the deployment, not stored).
"""

from __future__ import annotations

import re
from typing import Any

_REFERENCE = re.compile(r"^\[(parameters|variables)\('([^']+)'\)\]$")


def parameter_values(template: dict[str, Any], supplied: dict[str, Any], location: str) -> dict[str, Any]:
    """Each template parameter's value: supplied, else its default; a required one missing fails."""
    values: dict[str, Any] = {}
    for name, spec in template.get("parameters", {}).items():
        if name in supplied:
            values[name] = supplied[name].get("value")
        elif "defaultValue" in spec:
            default = spec["defaultValue"]
            values[name] = location if default == "[resourceGroup().location]" else default
        else:
            raise KeyError(name)
    return values


def evaluate(value: Any, parameters: dict[str, Any], variables: dict[str, Any]) -> Any:
    """`value` with every whole-string parameters()/variables() reference replaced by its value."""
    if isinstance(value, dict):
        return {key: evaluate(item, parameters, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, parameters, variables) for item in value]
    if isinstance(value, str):
        match = _REFERENCE.match(value)
        if match:
            kind, name = match.groups()
            return (parameters if kind == "parameters" else variables)[name]
    return value


def resource_id(scope: str, resource_type: str, name: str) -> str:
    """`<scope>/providers/<Namespace>/<type>/<name>[/<child type>/<child name>...]`."""
    namespace, *types = resource_type.split("/")
    names = name.split("/")
    path = "/".join(f"{kind}/{part}" for kind, part in zip(types, names, strict=True))
    return f"{scope}/providers/{namespace}/{path}"


def template_resources(
    scope: str, template: dict[str, Any], supplied: dict[str, Any], location: str
) -> dict[str, dict[str, Any]]:
    """{resource id: resource JSON} for the top-level resources of `template` deployed into `scope`."""
    parameters = parameter_values(template, supplied, location)
    variables = evaluate(template.get("variables", {}), parameters, {})
    resources: dict[str, dict[str, Any]] = {}
    for resource in template.get("resources", []):
        if "scope" in resource:
            continue
        body = evaluate(resource, parameters, variables)
        name = str(body["name"])
        rid = resource_id(scope, str(body["type"]), name)
        resources[rid] = {
            "id": rid,
            "name": name.rsplit("/", 1)[-1],
            "type": body["type"],
            **{key: body[key] for key in ("location", "tags", "identity", "sku", "kind") if key in body},
            "properties": body.get("properties", {}),
        }
    return resources
