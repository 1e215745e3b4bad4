"""The (type, apiVersion) of every resource in an ARM template, nested ones under their full type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def full_type(short_type: str, parent_type: str | None) -> str:
    """A nested resource's `type` is relative to its parent's (`blobServices` under a storage account)."""
    return f"{parent_type}/{short_type}" if parent_type and "/" not in short_type else short_type


def resource_types(resources: list[Any], parent_type: str | None = None) -> Iterator[tuple[str, str]]:
    """(full type, apiVersion) of each resource and of the resources nested in it, in template order."""
    for resource in resources:
        if not isinstance(resource, dict):
            continue
        resource_type = full_type(str(resource.get("type", "")), parent_type)
        yield resource_type, str(resource.get("apiVersion"))
        children = resource.get("resources", [])
        if isinstance(children, list):
            yield from resource_types(children, resource_type)
