"""Project rules for ARM templates that the official schemas do not express (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_PARAMETER_USE = re.compile(r"parameters\(\s*'([^']+)'\s*\)")
_SECURE_TYPES = {"securestring", "secureobject"}


def strings(node: Any) -> Iterator[str]:
    """Every string value in a JSON document, depth first."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def parameter_problems(template: dict[str, Any]) -> list[str]:
    """Declared-but-unused, used-but-undeclared, secure defaults and undocumented parameters."""
    declared = template.get("parameters", {})
    body = {key: value for key, value in template.items() if key != "parameters"}
    # Parameters may refer to each other in default values.
    defaults = [spec.get("defaultValue") for spec in declared.values() if isinstance(spec, dict)]
    # Only ARM expressions ("[...]", not "[[" escapes) count: a Logic App definition inside a template
    # has its own `@parameters('...')` expressions.
    expressions = [t for t in strings([body, defaults]) if t.startswith("[") and not t.startswith("[[")]
    used = {match for text in expressions for match in _PARAMETER_USE.findall(text)}
    problems = []
    for name in sorted(set(declared) - used):
        problems.append(f"parameters.{name}: declared but never used")
    for name in sorted(used - set(declared)):
        problems.append(f"parameters('{name}'): used but not declared")
    for name, spec in sorted(declared.items()):
        if not isinstance(spec, dict):
            continue
        if str(spec.get("type", "")).lower() in _SECURE_TYPES and "defaultValue" in spec:
            problems.append(f"parameters.{name}: a {spec['type']} parameter must not have a default value")
        if not spec.get("metadata", {}).get("description"):
            problems.append(f"parameters.{name}: needs metadata.description")
    location = declared.get("location")
    if isinstance(location, dict) and location.get("defaultValue") != "[resourceGroup().location]":
        problems.append("parameters.location: defaultValue should be [resourceGroup().location]")
    return problems


def api_version_problems(resource: dict[str, Any], where: str) -> list[str]:
    version = resource.get("apiVersion")
    if not isinstance(version, str) or version.startswith("["):
        return [f"{where}: apiVersion must be a literal string, got {version!r}"]
    return []


def parameter_file_problems(template: dict[str, Any], parameters_file: dict[str, Any]) -> list[str]:
    """A parameter file may only set declared parameters, and must set those without defaults
    (secure ones excepted: they are supplied at deploy time, never written to a file)."""
    declared = template.get("parameters", {})
    given = parameters_file.get("parameters", {})
    problems = [
        f"parameters.{name}: not declared by the template" for name in sorted(set(given) - set(declared))
    ]
    for name, spec in sorted(declared.items()):
        secure = str(spec.get("type", "")).lower() in _SECURE_TYPES
        if secure and name in given and "reference" not in given[name]:
            problems.append(
                f"parameters.{name}: secure value written in a parameter file (use a Key Vault reference)"
            )
        if not secure and "defaultValue" not in spec and name not in given:
            problems.append(f"parameters.{name}: required by the template but not set")
    return problems
