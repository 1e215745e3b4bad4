"""Validate rendered ARM templates: the envelope, every resource (nested ones too) against its provider
schema chosen by type and apiVersion, and the project's parameter rules. Problems name file, resource and
JSON path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from environments.arm import rules
from environments.arm.resource_types import full_type
from environments.arm.schema_gaps import UNVENDORED_TYPES, split_gaps
from environments.arm.schema_store import (
    ARM_RESOURCE_KEYS,
    SCHEMA_BASE,
    envelope_schema,
    provider_schema,
    registry,
    resource_definition,
)
from environments.errors import ArmValidationError
from environments.unique_keys import loads_json

TEMPLATE_SCHEMA_MARK = "deploymentTemplate.json"
PARAMETERS_SCHEMA_MARK = "deploymentParameters.json"


def is_arm_template(document: Any) -> bool:
    return isinstance(document, dict) and TEMPLATE_SCHEMA_MARK in str(document.get("$schema", ""))


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _is_expression_branch(error: ValidationError) -> bool:
    """True for the failure of the `oneOf [<schema>, expression]` alternative every ARM value has."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    return str(schema.get("pattern", "")).startswith("^\\[") and error.validator in ("type", "pattern")


def _is_discriminator_mismatch(error: ValidationError) -> bool:
    path = list(error.absolute_path)
    return error.validator in ("const", "enum") and bool(path) and path[-1] == "type"


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The most specific causes of an error: descend through oneOf/anyOf, skipping the expression
    alternative and the union variants whose discriminator (`type`) does not match."""
    if not error.context:
        return [error]
    branches: dict[object, list[ValidationError]] = {}
    for cause in error.context:
        if not _is_expression_branch(cause):
            branches.setdefault(
                cause.relative_schema_path[0] if cause.relative_schema_path else None, []
            ).append(cause)
    matching = [b for b in branches.values() if not any(_is_discriminator_mismatch(c) for c in b)]
    chosen = matching or list(branches.values())
    causes = [cause for branch in chosen for cause in branch]
    if not causes:
        return [error]
    return [leaf for cause in causes for leaf in _leaves(cause)]


def _messages(validator: Draft202012Validator, instance: Any) -> list[str]:
    found: list[str] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        leaves = sorted(_leaves(error), key=lambda leaf: -len(leaf.absolute_path))
        # A child that failed leaves its parent's `unevaluatedProperties` reporting it too: keep the child.
        paths = [tuple(leaf.absolute_path) for leaf in leaves]
        leaves = [
            leaf
            for leaf, path in zip(leaves, paths, strict=True)
            if leaf.validator != "unevaluatedProperties"
            or not any(len(other) > len(path) and other[: len(path)] == path for other in paths)
        ]
        chosen = leaves[:5] if leaves else [best_match([error]) or error]
        for leaf in chosen:
            line = f"{_json_path(leaf)}: {leaf.message[:300]}"
            if line not in found:
                found.append(line)
    return found


def _resource_validator(relative: str, definition_path: str) -> Draft202012Validator:
    schema = {
        "$ref": f"{SCHEMA_BASE}{relative}#{definition_path}",
        "properties": {key: True for key in ARM_RESOURCE_KEYS},
        "unevaluatedProperties": False,
    }
    # ARM-level keys are allowed beside the provider's; anything else unknown still fails.
    return Draft202012Validator(schema, registry=registry(relative))


def _child_definition(relative: str, full_type: str, short_type: str) -> str:
    """The `_childResource` definition for a resource nested in its parent's `resources` array."""
    for name, definition in provider_schema(relative).get("definitions", {}).items():
        if not name.endswith("_childResource"):
            continue
        type_schema = definition.get("properties", {}).get("type", {})
        if short_type in type_schema.get("enum", []) and definition.get("description") == full_type:
            return f"/definitions/{name}"
    raise ArmValidationError([f"{relative} has no nested-resource definition for {full_type}"])


def _validate_resources(
    resources: list[Any], parent_type: str | None, where: str, problems: list[str]
) -> None:
    for index, resource in enumerate(resources):
        here = f"{where}[{index}]"
        if not isinstance(resource, dict):
            problems.append(f"{here}: a resource must be an object")
            continue
        short_type = str(resource.get("type", ""))
        api_version = resource.get("apiVersion")
        resource_type = full_type(short_type, parent_type)
        label = f"{here} ({resource_type} {resource.get('name')!r})"
        version_problems = rules.api_version_problems(resource, label)
        if version_problems:
            problems.extend(version_problems)
            continue
        unvendored = UNVENDORED_TYPES.get((resource_type.lower(), str(api_version)))
        if unvendored is not None:
            problems.extend(
                f"{label}: {message}" for message in _messages(Draft202012Validator(unvendored), resource)
            )
            continue
        try:
            relative, definition = resource_definition(resource_type, str(api_version))
            pointer = (
                _child_definition(relative, resource_type, short_type)
                if parent_type and "/" not in short_type
                else f"/resourceDefinitions/{definition}"
            )
        except ArmValidationError as exc:
            problems.extend(f"{label}: {line}" for line in exc.problems)
            continue
        instance = {key: value for key, value in resource.items() if key != "resources"}
        instance, gaps = split_gaps(resource_type, str(api_version), instance)
        for path, value, schema in gaps:
            problems.extend(
                f"{label}: {path}: {e.message[:300]}" for e in Draft202012Validator(schema).iter_errors(value)
            )
        validator = _resource_validator(relative, pointer)
        problems.extend(f"{label}: {message}" for message in _messages(validator, instance))
        children = resource.get("resources", [])
        if children:
            _validate_resources(children, resource_type, f"{here}.resources", problems)


def validate_template(template: dict[str, Any]) -> list[str]:
    """Every problem found in one ARM template (empty when valid)."""
    problems: list[str] = []
    envelope = Draft202012Validator(envelope_schema(), registry=registry())
    problems.extend(f"(template) {message}" for message in _messages(envelope, template))
    resources = template.get("resources", [])
    if not isinstance(resources, list):
        problems.append("resources: symbolic-name resources (languageVersion 2.0) are not supported here")
    else:
        _validate_resources(resources, None, "resources", problems)
    problems.extend(rules.parameter_problems(template))
    return problems


def _load(path: Path, text: str | None = None) -> Any:
    try:
        return loads_json(path.read_text(encoding="utf-8") if text is None else text)
    except (OSError, json.JSONDecodeError) as exc:
        raise ArmValidationError([f"{path}: not valid JSON: {exc}"]) from exc


def find_templates(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every ARM template under `folder` (not parameter files), sorted by path."""
    found = []
    for path in sorted(folder.rglob("*.json")):
        if path.name.endswith(".parameters.json"):
            continue
        # Cheap pre-check: other JSON-ish files (e.g. Stream Analytics' line-delimited test data) are skipped.
        text = path.read_text(encoding="utf-8")
        if TEMPLATE_SCHEMA_MARK not in text:
            continue
        document = _load(path, text)
        if is_arm_template(document):
            found.append((path, document))
    return found


def validate_directory(folder: Path, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Validate every ARM template (and its `.parameters.json`) under `folder`; returns the templates
    checked. Raises ArmValidationError listing every problem in every file. `progress` is told which
    template is being validated (a schema check takes seconds)."""
    problems: list[str] = []
    checked: list[Path] = []
    found = find_templates(folder)
    for index, (path, document) in enumerate(found, start=1):
        if progress is not None:
            progress(f"validating [{index}/{len(found)}] {path.relative_to(folder)}")
        checked.append(path)
        problems.extend(f"{path}: {line}" for line in validate_template(document))
        parameters_path = path.with_name(path.name.removesuffix(".json") + ".parameters.json")
        if parameters_path.is_file():
            parameters = _load(parameters_path)
            if PARAMETERS_SCHEMA_MARK not in str(parameters.get("$schema", "")):
                problems.append(f"{parameters_path}: $schema must be the deploymentParameters schema")
            lines = rules.parameter_file_problems(document, parameters)
            problems.extend(f"{parameters_path}: {line}" for line in lines)
    if problems:
        raise ArmValidationError(problems)
    return checked
