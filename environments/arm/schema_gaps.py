"""Properties Azure accepts that the published schemas lack, admitted narrowly per (type, apiVersion).

The newest published `Microsoft.Logic/workflows` schema (2016-06-01) predates managed identities, and
the `Microsoft.Web/connections` 2016-06-01 schema lacks the managed-identity authentication settings
of API connections; Azure accepts both. Each gap names the exact property path and the schema its
value must meet, so anything else unknown still fails.
"""

from __future__ import annotations

import copy
from typing import Any

EXPRESSION = {"type": "string", "pattern": r"^\[.*\]$"}
MANAGED_IDENTITY = {
    "type": "object",
    "properties": {
        "type": {"enum": ["SystemAssigned", "UserAssigned", "None"]},
        "userAssignedIdentities": {
            "type": "object",
            "additionalProperties": {"type": "object", "maxProperties": 0},
        },
    },
    "required": ["type"],
    "additionalProperties": False,
}
CONNECTION_MANAGED_IDENTITY_SET = {
    "type": "object",
    "properties": {"name": {"enum": ["managedIdentityAuth"]}, "values": {"type": "object"}},
    "required": ["name", "values"],
    "additionalProperties": False,
}

SCHEMA_GAPS: dict[tuple[str, str], dict[tuple[str, ...], dict[str, Any]]] = {
    ("microsoft.logic/workflows", "2016-06-01"): {("identity",): MANAGED_IDENTITY},
    ("microsoft.web/connections", "2016-06-01"): {
        ("properties", "parameterValueType"): {"enum": ["Alternative"]},
        ("properties", "parameterValueSet"): CONNECTION_MANAGED_IDENTITY_SET,
    },
}


def split_gaps(
    full_type: str, api_version: str, resource: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, Any, dict[str, Any]]]]:
    """The resource without its admitted gap properties, and each removed (path, value, schema)."""
    gaps = SCHEMA_GAPS.get((full_type.lower(), api_version), {})
    if not gaps:
        return resource, []
    rest = copy.deepcopy(resource)
    removed = []
    for path, schema in gaps.items():
        parent = rest
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and path[-1] in parent:
            removed.append(("$." + ".".join(path), parent.pop(path[-1]), schema))
    return rest, removed
