"""The official ARM schemas, read from a local copy, with the published schemas' known quirks fixed.

Location: `$STREAMSCORE_ARM_SCHEMAS`, else `../shared/arm-schemas` beside the repository, else a cache
(`~/.cache/streamscore/arm-schemas`) filled from the public schema URLs on first use.
"""

from __future__ import annotations

import copy
import json
import os
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from environments.errors import ArmValidationError

SCHEMA_BASE = "https://schema.management.azure.com/schemas/"
ENV_VAR = "STREAMSCORE_ARM_SCHEMAS"
_REPO_ROOT = Path(__file__).resolve().parents[2]
# Keys ARM accepts on any resource, which the provider schemas do not list.
ARM_RESOURCE_KEYS = ("dependsOn", "condition", "copy", "comments", "scope", "metadata", "resources")


def schema_root() -> Path:
    configured = os.environ.get(ENV_VAR)
    if configured:
        root = Path(configured)
        if not root.is_dir():
            raise ArmValidationError([f"${ENV_VAR}={configured}: not a folder of ARM schemas"])
        return root
    shared = _REPO_ROOT.parent / "shared" / "arm-schemas"
    if shared.is_dir():
        return shared
    return Path.home() / ".cache" / "streamscore" / "arm-schemas"


def _read(relative: str) -> dict[str, Any]:
    root = schema_root()
    path = root / relative
    if not path.is_file():
        _download(relative, path)
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _download(relative: str, path: Path) -> None:
    url = SCHEMA_BASE + relative
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
    except OSError as exc:
        raise ArmValidationError(
            [
                f"ARM schema {relative} is not in {path.parent} and could not be downloaded from {url} ({exc}). "
                f"Put a copy of Azure/azure-resource-manager-schemas' schemas/ folder there, "
                f"or point ${ENV_VAR} at one."
            ]
        ) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


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
    all_of = fixed.get("allOf")
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
    schema = _fix_quirks(_read(relative))
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
    """The deployment template envelope with `resources` set aside (it refers to every provider)."""
    schema = copy.deepcopy(_read("2019-04-01/deploymentTemplate.json"))
    schema.pop("$schema", None)
    schema.pop("id", None)
    schema["properties"]["resources"] = {"type": "array"}
    return schema


def _retrieve(uri: str) -> Resource:
    if not uri.startswith(SCHEMA_BASE):
        raise ArmValidationError([f"schema reference outside {SCHEMA_BASE}: {uri}"])
    relative = uri[len(SCHEMA_BASE) :].split("#", 1)[0]
    return Resource.from_contents(provider_schema(relative), default_specification=DRAFT202012)


@cache
def registry() -> Registry:
    return Registry(retrieve=_retrieve)  # type: ignore[call-arg]


# Types whose schema lives in a file named for more than the namespace.
_SPLIT_FILES = {
    "Microsoft.Insights/components": "Microsoft.Insights.Application",
    "Microsoft.Insights/webtests": "Microsoft.Insights.Application",
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
    try:
        schema = provider_schema(relative)
    except ArmValidationError as exc:
        raise ArmValidationError(
            [f"no published schema for {resource_type} at apiVersion {api_version} ({relative})"]
        ) from exc
    for name, definition in schema.get("resourceDefinitions", {}).items():
        if resource_type in _types_of(definition):
            return relative, name
    raise ArmValidationError([f"{relative} has no resource definition for type {resource_type}"])
