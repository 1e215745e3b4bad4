"""The official ARM schemas, read from the copy vendored in this repository, with the published schemas'
known quirks fixed.

Location: `environments/arm/schemas/` (exactly the files the rendered templates use; see its README), or
`$STREAMSCORE_ARM_SCHEMAS` when set (a larger local copy of the upstream `schemas/` folder). Nothing is
downloaded: a file that is not there is an error naming it and the command that vendors it.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from environments.errors import ArmValidationError
from environments.unique_keys import loads_json

SCHEMA_BASE = "https://schema.management.azure.com/schemas/"
ENV_VAR = "STREAMSCORE_ARM_SCHEMAS"
VENDORED = Path(__file__).resolve().parent / "schemas"
ENVELOPE_FILE = "2019-04-01/deploymentTemplate.json"
COMMON_FILE = "common/definitions.json"
REFRESH_COMMAND = "python -m environments schemas refresh"
# Keys ARM accepts on any resource, which the provider schemas do not list.
ARM_RESOURCE_KEYS = ("dependsOn", "condition", "copy", "comments", "scope", "metadata", "resources")


def schema_root() -> Path:
    """`$STREAMSCORE_ARM_SCHEMAS` when set, else the vendored folder."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        root = Path(configured)
        if not root.is_dir():
            raise ArmValidationError([f"${ENV_VAR}={configured}: not a folder of ARM schemas"])
        return root
    return VENDORED


def read_schema_file(root: Path, relative: str) -> dict[str, Any]:
    """One schema file as published (no quirks fixed); a missing file names itself and the refresh command."""
    path = root / relative
    if not path.is_file():
        raise ArmValidationError(
            [f"ARM schema {relative} is not in {root}; vendor it with `{REFRESH_COMMAND}`"]
        )
    try:
        document: dict[str, Any] = loads_json(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ArmValidationError([f"ARM schema {path}: not readable JSON: {exc}"]) from exc
    return document


def _read(relative: str) -> dict[str, Any]:
    return read_schema_file(schema_root(), relative)


def envelope_view(envelope: dict[str, Any]) -> dict[str, Any]:
    """The deployment template envelope with `resources` set aside (it refers to every provider of every
    version); each resource is validated against its own provider file instead."""
    schema = copy.deepcopy(envelope)
    schema.pop("$schema", None)
    schema.pop("id", None)
    schema["properties"]["resources"] = {"type": "array"}
    return schema


def _composed_refs(node: Any, found: set[str] | None = None) -> set[str]:
    """Local definitions used as parts of an `allOf`: closing them alone would hide their siblings."""
    found = set() if found is None else found
    if isinstance(node, dict):
        for part in node.get("allOf", []) if isinstance(node.get("allOf"), list) else []:
            if isinstance(part, dict) and str(part.get("$ref", "")).startswith("#/definitions/"):
                found.add(part["$ref"].removeprefix("#/definitions/"))
        for value in node.values():
            _composed_refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _composed_refs(item, found)
    return found


def _fix_quirks(node: Any, part_of_all_of: bool = False) -> Any:
    """Adapt a draft-04 ARM schema for a Draft 2020-12 validator and close open object definitions.

    - A discriminated union is `allOf: [{<common properties>, additionalProperties: false},
      {oneOf: [...variants...]}]`; taken literally the first part forbids every variant's property,
      so its `additionalProperties: false` is dropped and the union as a whole is closed instead.
    - Object schemas that list `properties` but leave extra keys open get `unevaluatedProperties:
      false`, so that a misspelled property fails instead of passing silently. Parts of an `allOf`
      are left open: the closing belongs to the whole, which sees what every part evaluated.
    """
    if isinstance(node, list):
        return [_fix_quirks(item, part_of_all_of) for item in node]
    if not isinstance(node, dict):
        return node
    fixed: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$schema" or (key == "id" and isinstance(value, str)):
            # draft-04 `id` keywords; a property *named* id (an object schema) stays
            continue
        if key == "allOf":
            fixed[key] = [_fix_quirks(item, part_of_all_of=True) for item in value]
        elif key in ("properties", "patternProperties") and isinstance(value, dict):
            # keys here are property names (a property may be *named* allOf), never keywords
            fixed[key] = {name: _fix_quirks(d) for name, d in value.items()}
        elif key in ("definitions", "resourceDefinitions") and isinstance(value, dict):
            composed = _composed_refs(node) if key == "definitions" else set()
            fixed[key] = {name: _fix_quirks(d, part_of_all_of=name in composed) for name, d in value.items()}
        else:
            fixed[key] = _fix_quirks(value)
    all_of: Any = fixed.get("allOf")
    is_union = isinstance(all_of, list) and len(all_of) == 2 and "oneOf" in all_of[1]
    if is_union and all_of[0].get("additionalProperties") is False:
        all_of[0].pop("additionalProperties")
    closable = is_union or ("properties" in fixed and fixed.get("type", "object") == "object")
    if closable and not part_of_all_of and "additionalProperties" not in fixed:
        fixed.setdefault("unevaluatedProperties", False)
    return fixed


@cache
def provider_schema(relative: str) -> dict[str, Any]:
    """A provider or common schema file, quirks fixed; `relative` is e.g. `2023-05-01/Microsoft.Storage.json`."""
    schema: dict[str, Any] = _fix_quirks(_read(relative))
    # Whole-resource definitions are closed by the validator's wrapper instead, which also admits the
    # ARM-level keys (dependsOn, scope, ...); an inner closing could not see those.
    for definition in schema.get("resourceDefinitions", {}).values():
        definition.pop("unevaluatedProperties", None)
    definitions = schema.get("definitions", {})
    for name, definition in definitions.items():
        if name.endswith("_childResource"):
            definition.pop("unevaluatedProperties", None)
    return schema


@cache
def envelope_schema() -> dict[str, Any]:
    """The deployment template envelope with `resources` set aside."""
    return envelope_view(_read(ENVELOPE_FILE))


def _resource(relative: str) -> Resource:
    return Resource.from_contents(provider_schema(relative), default_specification=DRAFT202012)


def _retrieve(uri: str) -> Resource:
    if not uri.startswith(SCHEMA_BASE):
        raise ArmValidationError([f"schema reference outside {SCHEMA_BASE}: {uri}"])
    return _resource(uri[len(SCHEMA_BASE) :].split("#", 1)[0])


@cache
def registry(relative: str = COMMON_FILE) -> Registry:
    """A registry holding `relative` and the common definitions, crawled once.

    Validators start from this registry for every resource; a file retrieved on demand would be crawled
    again on each lookup of a URI not yet in it (referencing keeps what it learns only in the resolver
    that learnt it), which made validation ~30x slower.
    """
    files = dict.fromkeys((relative, COMMON_FILE))
    resources = [(SCHEMA_BASE + name, _resource(name)) for name in files]
    return Registry(retrieve=_retrieve).with_resources(resources).crawl()  # type: ignore[call-arg]


# Types whose schema lives in a file named for more than the namespace.
_SPLIT_FILES = {
    "Microsoft.Insights/components": "Microsoft.Insights.Application",
    "Microsoft.Insights/webtests": "Microsoft.Insights.Application",
    "Microsoft.Insights/workbooks": "Microsoft.Insights.Application",
}


def provider_file(resource_type: str, api_version: str) -> str:
    """The schema file for a full resource type at an api-version, e.g. `2020-02-02/Microsoft.Insights.Application.json`."""
    first_two = "/".join(resource_type.split("/")[:2])
    namespace = _SPLIT_FILES.get(first_two, resource_type.split("/", 1)[0])
    return f"{api_version}/{namespace}.json"


def _types_of(definition: dict[str, Any]) -> set[str]:
    type_schema = definition.get("properties", {}).get("type", {})
    values = set(type_schema.get("enum", []))
    if "const" in type_schema:
        values.add(type_schema["const"])
    return values


def resource_definition(resource_type: str, api_version: str) -> tuple[str, str]:
    """(schema file, definition name) describing `resource_type` at `api_version`."""
    relative = provider_file(resource_type, api_version)
    if not (schema_root() / relative).is_file():
        raise ArmValidationError(
            [
                f"no schema for {resource_type} at apiVersion {api_version}: {relative} is not in "
                f"{schema_root()}; vendor it with `{REFRESH_COMMAND}` (or use a published apiVersion)"
            ]
        )
    schema = provider_schema(relative)
    for name, definition in schema.get("resourceDefinitions", {}).items():
        if resource_type in _types_of(definition):
            return relative, name
    raise ArmValidationError([f"{relative} has no resource definition for type {resource_type}"])
