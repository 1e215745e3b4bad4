"""What a merge would change in the rendered files, by resource (pure: two rendered trees in, changes out).

A tree maps `<env>/<path under build/<env>>` to the file's text. An ARM template is compared resource
by resource (`<type> <name>`, `on <scope>` for an extension resource such as a lock, nested resources and nested deployments' templates included, each
compared without its children), plus its parameters, variables, functions and outputs; a parameter
file parameter by parameter; any other rendered file (Stream Analytics project, Azure ML YAML) as a
whole. Shown as the pull request's job summary by `python -m environments render-drift`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

TEMPLATE_SECTIONS = ("parameters", "variables", "functions", "outputs")
WHOLE_FILE = "(whole file)"


@dataclass(frozen=True, order=True)
class Change:
    environment: str
    file: str
    resource: str
    change: str  # added | removed | changed


def _schema(document: Any) -> str:
    return str(document.get("$schema", "")) if isinstance(document, dict) else ""


def _without(resource: dict[str, Any], *path: str) -> dict[str, Any]:
    """`resource` without the list at `path` (its children, compared on their own)."""
    if len(path) == 1:
        return {k: v for k, v in resource.items() if k != path[0]}
    inner = resource.get(path[0])
    if not isinstance(inner, dict):
        return resource
    return {**resource, path[0]: _without(inner, *path[1:])}


def template_resources(template: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`<type> <name>` -> the resource without its children, for every resource at any depth."""
    found: dict[str, Any] = {}
    for resource in template.get("resources", []):
        if not isinstance(resource, dict):
            continue
        scope = f" on {resource['scope']}" if resource.get("scope") else ""  # extension resources
        key = f"{prefix}{resource.get('type', '?')} {resource.get('name', '?')}{scope}"
        unique, count = key, 1
        while unique in found:
            count += 1
            unique = f"{key} #{count}"
        own = _without(resource, "resources")
        nested = (
            resource.get("properties", {}).get("template")
            if isinstance(resource.get("properties"), dict)
            else None
        )
        if isinstance(nested, dict):
            own = _without(own, "properties", "template", "resources")
            found |= template_resources(nested, prefix=f"{unique} / ")
        found[unique] = own
        found |= template_resources(resource, prefix=f"{unique} / ")
    return found


def _units(text: str) -> dict[str, Any]:
    """The comparable units of one rendered file."""
    try:
        document = json.loads(text)
    except ValueError:
        return {WHOLE_FILE: text}
    schema = _schema(document)
    if schema.endswith("deploymentTemplate.json#"):
        units: dict[str, Any] = template_resources(document)
        units |= {f"({section})": document[section] for section in TEMPLATE_SECTIONS if section in document}
        return units
    if schema.endswith("deploymentParameters.json#"):
        return {f"parameter {name}": value for name, value in document.get("parameters", {}).items()}
    return {WHOLE_FILE: document}


def _split(key: str) -> tuple[str, str]:
    environment, _, path = key.partition("/")
    return environment, path


def compare_trees(base: dict[str, str], head: dict[str, str]) -> list[Change]:
    """Every unit added, removed or changed from `base` (main's rendering) to `head` (the branch's)."""
    changes: list[Change] = []
    for key in sorted(set(base) | set(head)):
        environment, path = _split(key)
        if key not in base:
            changes += [Change(environment, path, unit, "added") for unit in sorted(_units(head[key]))]
            continue
        if key not in head:
            changes += [Change(environment, path, unit, "removed") for unit in sorted(_units(base[key]))]
            continue
        if base[key] == head[key]:
            continue
        old, new = _units(base[key]), _units(head[key])
        for unit in sorted(set(old) | set(new)):
            if unit not in old:
                changes.append(Change(environment, path, unit, "added"))
            elif unit not in new:
                changes.append(Change(environment, path, unit, "removed"))
            elif old[unit] != new[unit]:
                changes.append(Change(environment, path, unit, "changed"))
    return changes


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def drift_markdown(changes: list[Change], environments: list[str], base_name: str = "main") -> str:
    """One table per environment: file, resource, change; or a line saying nothing changes."""
    lines = [f"### Rendered templates against {base_name}", ""]
    for environment in environments:
        mine = [c for c in changes if c.environment == environment]
        lines.append(f"#### {environment}: {len(mine)} change{'s' if len(mine) != 1 else ''}")
        lines.append("")
        if not mine:
            lines += ["No rendered file changes.", ""]
            continue
        lines += ["| file | resource | change |", "|---|---|---|"]
        lines += [f"| `{_cell(c.file)}` | `{_cell(c.resource)}` | {c.change} |" for c in mine]
        lines.append("")
    return "\n".join(lines) + "\n"
