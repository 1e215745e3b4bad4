"""The resources an ARM template deployment creates, as the simulated control plane stores them.

A deliberately small template engine: `[parameters('x')]`, `[variables('x')]` and
`[resourceGroup().location]` are evaluated, and so is `[reference(resourceId('<type>', '<name>'), ...).<property>]`
when the control plane stores the resource (`resolve_references`, against what is deployed); any other
expression (`resourceId`, `guid`, ...) is kept as its literal text, which is deterministic, so the same
template yields the same resources. Resources without an explicit `scope` are materialized, nested child
resources too (role assignments and other extension resources are counted in the deployment, not stored).
"""

from __future__ import annotations

import re
from typing import Any

_REFERENCE = re.compile(r"^\[(parameters|variables)\('([^']+)'\)\]$")
_PROPERTY_OF = re.compile(r"^\[reference\(resourceId\('([^']+)', '([^']+)'\)(?:, '[^']*')*\)\.(\w+)\]$")


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
    _collect(scope, template.get("resources", []), parameters, variables, resources, parent=None)
    return resources


def _collect(
    scope: str,
    declared: list[dict[str, Any]],
    parameters: dict[str, Any],
    variables: dict[str, Any],
    resources: dict[str, dict[str, Any]],
    parent: tuple[str, str] | None,
) -> None:
    for resource in declared:
        if "scope" in resource:
            continue
        body = evaluate({k: v for k, v in resource.items() if k != "resources"}, parameters, variables)
        kind, name = str(body["type"]), str(body["name"])
        if parent is not None:  # a nested child: its type and name extend its parent's
            kind, name = f"{parent[0]}/{kind}", f"{parent[1]}/{name}"
        rid = resource_id(scope, kind, name)
        resources[rid] = {
            "id": rid,
            "name": name.rsplit("/", 1)[-1],
            "type": kind,
            **{key: body[key] for key in ("location", "tags", "identity", "sku", "kind") if key in body},
            "properties": body.get("properties", {}),
        }
        _collect(scope, resource.get("resources", []), parameters, variables, resources, (kind, name))


def resolve_references(value: Any, lookup: Any) -> Any:
    """`value` with every `[reference(resourceId('<type>', '<name>'), ...).<property>]` replaced by
    `lookup(type, name, property)` (None: kept as text)."""
    if isinstance(value, dict):
        return {key: resolve_references(item, lookup) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_references(item, lookup) for item in value]
    if isinstance(value, str):
        match = _PROPERTY_OF.match(value)
        if match:
            found = lookup(*match.groups())
            return value if found is None else found
    return value
