"""Which ARM schema files the rendered templates need, and re-vendoring exactly those.

`python -m environments schemas refresh [--from PATH]` renders every environment, collects the
(type, apiVersion) of every resource, maps each to its provider file, adds the envelope, follows every
`$ref` (across files too) from what validation uses, and copies exactly the files reached into
`environments/arm/schemas/`, replacing what was there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from environments.arm.resource_types import resource_types
from environments.arm.schema_gaps import UNVENDORED_TYPES
from environments.arm.schema_store import (
    ENV_VAR,
    ENVELOPE_FILE,
    SCHEMA_BASE,
    VENDORED,
    envelope_view,
    provider_file,
    read_schema_file,
)
from environments.errors import ArmValidationError

# Schema keywords whose values are named subschemas, applied only where a `$ref` points into them.
_DEFINITION_KEYWORDS = ("definitions", "resourceDefinitions", "$defs")

Reader = Callable[[str], dict[str, Any]]


def _pointer(document: Any, pointer: str) -> Any:
    node = document
    for part in filter(None, pointer.split("/")):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any, skip_definitions: bool) -> Iterable[str]:
    """Every `$ref` in a schema node, not descending into definition tables (reached only by `$ref`)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif not (skip_definitions and key in _DEFINITION_KEYWORDS):
                yield from _refs(value, skip_definitions)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item, skip_definitions)


def needed_files(types: Iterable[tuple[str, str]], read: Reader) -> set[str]:
    """The schema files (paths under `schemas/`) that validating resources of `types` reads: the envelope
    (with `resources` set aside, as validation uses it), each type's provider file (all of it: resource
    and nested-resource definitions are chosen by type), and every file their `$ref`s reach."""
    documents: dict[str, dict[str, Any]] = {ENVELOPE_FILE: envelope_view(read(ENVELOPE_FILE))}
    pending: list[tuple[str, str]] = [(ENVELOPE_FILE, "")]
    for resource_type, api_version in sorted(set(types)):
        relative = provider_file(resource_type, api_version)
        if relative not in documents:
            try:
                documents[relative] = read(relative)
            except ArmValidationError as exc:
                raise ArmValidationError(
                    [f"{resource_type} at apiVersion {api_version}: {line}" for line in exc.problems]
                ) from exc
            pending.append((relative, ""))
            pending.extend(
                (relative, f"/{key}") for key in _DEFINITION_KEYWORDS if key in documents[relative]
            )
    seen: set[tuple[str, str]] = set()
    while pending:
        relative, pointer = pending.pop()
        if (relative, pointer) in seen:
            continue
        seen.add((relative, pointer))
        if relative not in documents:
            documents[relative] = read(relative)
        whole_table = pointer.lstrip("/") in _DEFINITION_KEYWORDS
        for ref in _refs(_pointer(documents[relative], pointer), skip_definitions=not whole_table):
            target, _, fragment = ref.partition("#")
            if target and not target.startswith(SCHEMA_BASE):
                raise ArmValidationError([f"{relative}: $ref outside {SCHEMA_BASE}: {ref}"])
            pending.append((target.removeprefix(SCHEMA_BASE) if target else relative, fragment))
    return set(documents)


def template_types(templates: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """(type, apiVersion) of every resource of every template, but those checked by schema_gaps.UNVENDORED_TYPES."""
    found: set[tuple[str, str]] = set()
    for template in templates:
        resources = template.get("resources", [])
        if isinstance(resources, list):
            found.update(resource_types(resources))
    return {(t, v) for t, v in found if (t.lower(), v) not in UNVENDORED_TYPES}


def rendered_templates() -> list[dict[str, Any]]:
    """Every ARM template of every environment, rendered into a temporary folder."""
    from environments.arm.validate import find_templates
    from environments.loader import environment_names
    from environments.render import render_environment

    with tempfile.TemporaryDirectory(prefix="streamscore-schemas-") as folder:
        found: list[dict[str, Any]] = []
        for name in environment_names():
            render_environment(name, out=Path(folder) / name)
            found.extend(document for _, document in find_templates(Path(folder) / name))
    return found


def default_source() -> Path | None:
    """`$STREAMSCORE_ARM_SCHEMAS` when set (nothing outside the repository is assumed otherwise)."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else None


def refresh(source: Path, target: Path = VENDORED) -> list[str]:
    """Re-vendor into `target` exactly the schema files the rendered templates need, from `source` (a copy of
    upstream `schemas/`, with its LICENSE); returns the files written."""
    if not source.is_dir():
        raise ArmValidationError(
            [f"{source}: not a folder of ARM schemas (pass --from PATH or set ${ENV_VAR})"]
        )
    if source.resolve() == target.resolve():
        raise ArmValidationError([f"{source}: is the vendored folder itself; refresh from the upstream copy"])
    needed = sorted(needed_files(template_types(rendered_templates()), lambda r: read_schema_file(source, r)))
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.rglob("*.json"):
        stale.unlink()
    for folder in sorted((p for p in target.iterdir() if p.is_dir()), reverse=True):
        if not any(folder.rglob("*")):
            folder.rmdir()
    for relative in needed:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target / relative)
    if (source / "LICENSE").is_file():
        shutil.copyfile(source / "LICENSE", target / "LICENSE")
    return needed
