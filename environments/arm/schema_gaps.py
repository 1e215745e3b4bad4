"""Properties Azure accepts that the published schemas lack, admitted narrowly per (type, apiVersion).

Each gap names the exact property path and the schema its value must meet, so anything else unknown
still fails. None is admitted today: the two that were (a managed identity on a `Microsoft.Logic/workflows`
2016-06-01 resource, the managed-identity settings of `Microsoft.Web/connections` 2016-06-01) went with the
export Logic App and the retrain app's identity (decision 0016).

`UNVENDORED_TYPES`: two extension resource types whose official schema files are not in the vendored
subset (nor in the copy `schemas refresh` reads from): Microsoft.Insights/diagnosticSettings
2021-05-01-preview and Microsoft.Authorization/locks 2020-05-01. They are checked against the closed
schemas below, written from the REST API reference
(https://learn.microsoft.com/azure/templates/microsoft.insights/2021-05-01-preview/diagnosticsettings,
https://learn.microsoft.com/azure/templates/microsoft.authorization/2020-05-01/locks), restricted to
the properties these templates use; drop an entry once the official file is vendored.
The same holds for the private network's Microsoft.Network types (no Microsoft.Network file at all in the
upstream copy), written from https://learn.microsoft.com/azure/templates/microsoft.network/2024-05-01/virtualnetworks,
.../2024-05-01/networksecuritygroups, .../2024-05-01/privateendpoints,
.../2024-05-01/privateendpoints/privatednszonegroups, .../2024-06-01/privatednszones and
.../2024-06-01/privatednszones/virtualnetworklinks.
"""

from __future__ import annotations

import copy
from typing import Any

SCHEMA_GAPS: dict[tuple[str, str], dict[tuple[str, ...], dict[str, Any]]] = {}


def split_gaps(
    full_type: str, api_version: str, resource: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, Any, dict[str, Any]]]]:
    """The resource without its admitted gap properties, and each removed (path, value, schema)."""
    gaps = SCHEMA_GAPS.get((full_type.lower(), api_version), {})
    if not gaps:
        return resource, []
    rest = copy.deepcopy(resource)
    removed: list[tuple[str, Any, dict[str, Any]]] = []
    for path, schema in gaps.items():
        parent: Any = rest
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and path[-1] in parent:
            removed.append(("$." + ".".join(path), parent.pop(path[-1]), schema))
    return rest, removed


_ARM_KEYS = {
    "type": {"type": "string"},
    "apiVersion": {"type": "string"},
    "name": {"type": "string", "minLength": 1},
    "scope": {"type": "string", "minLength": 1},
    "condition": {"type": ["boolean", "string"]},
    "dependsOn": {"type": "array", "items": {"type": "string"}},
    "comments": {"type": "string"},
}
_LOG_SETTING = {
    "type": "object",
    "properties": {
        "category": {"type": "string"},
        "categoryGroup": {"enum": ["allLogs", "audit"]},
        "enabled": {"type": "boolean"},
    },
    "required": ["enabled"],
    "oneOf": [{"required": ["category"]}, {"required": ["categoryGroup"]}],
    "additionalProperties": False,
}
_METRIC_SETTING = {
    "type": "object",
    "properties": {"category": {"type": "string"}, "enabled": {"type": "boolean"}},
    "required": ["category", "enabled"],
    "additionalProperties": False,
}


def _closed(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """An extension resource: ARM's own keys, and `properties` holding exactly the given ones."""
    inner = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return {
        "type": "object",
        "properties": {**_ARM_KEYS, "properties": inner},
        "required": ["type", "apiVersion", "name", "scope", "properties"],
        "additionalProperties": False,
    }


UNVENDORED_TYPES: dict[tuple[str, str], dict[str, Any]] = {
    ("microsoft.insights/diagnosticsettings", "2021-05-01-preview"): _closed(
        {
            "workspaceId": {"type": "string"},
            "logAnalyticsDestinationType": {"enum": ["Dedicated", "AzureDiagnostics"]},
            "logs": {"type": "array", "items": _LOG_SETTING},
            "metrics": {"type": "array", "items": _METRIC_SETTING},
        },
        ["workspaceId"],
    ),
    ("microsoft.authorization/locks", "2020-05-01"): _closed(
        {
            "level": {"enum": ["CanNotDelete", "ReadOnly"]},
            "notes": {"type": "string", "maxLength": 512},
            "owners": {"type": "array"},
        },
        ["level"],
    ),
}


_ID = {
    "type": "object",
    "properties": {"id": {"type": "string"}},
    "required": ["id"],
    "additionalProperties": False,
}
_TAGS = {"type": "object", "additionalProperties": {"type": "string"}}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _tracked(properties: dict[str, Any], required: list[str], location: bool = True) -> dict[str, Any]:
    """A resource of its own (not an extension): ARM's keys, location and tags, closed `properties`."""
    keys = {**_ARM_KEYS, "properties": _object(properties, required)}
    if location:
        keys |= {"location": {"type": "string"}, "tags": _TAGS}
    return {
        "type": "object",
        "properties": keys,
        "required": ["type", "apiVersion", "name", "properties", *(["location"] if location else [])],
        "additionalProperties": False,
    }


_SUBNET = _object(
    {
        "name": {"type": "string"},
        "properties": _object(
            {
                "addressPrefix": {"type": "string"},
                "networkSecurityGroup": _ID,
                "privateEndpointNetworkPolicies": {
                    "enum": ["Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"]
                },
                "defaultOutboundAccess": {"type": "boolean"},
            },
            ["addressPrefix"],
        ),
    },
    ["name", "properties"],
)
_PRIVATE_LINK_CONNECTION = _object(
    {
        "name": {"type": "string"},
        "properties": _object(
            {
                "privateLinkServiceId": {"type": "string"},
                "groupIds": {"type": "array", "items": {"type": "string"}},
                # What the target's owner reads when approving a manual connection (at most 140 characters).
                "requestMessage": {"type": "string", "maxLength": 140},
            },
            ["privateLinkServiceId", "groupIds"],
        ),
    },
    ["name", "properties"],
)
UNVENDORED_TYPES |= {
    ("microsoft.network/virtualnetworks", "2024-05-01"): _tracked(
        {
            "addressSpace": _object(
                {"addressPrefixes": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
                ["addressPrefixes"],
            ),
            "subnets": {"type": "array", "items": _SUBNET},
        },
        ["addressSpace"],
    ),
    ("microsoft.network/networksecuritygroups", "2024-05-01"): _tracked(
        {"securityRules": {"type": "array", "maxItems": 0}}, []
    ),
    ("microsoft.network/privateendpoints", "2024-05-01"): _tracked(
        {
            "subnet": _ID,
            "customNetworkInterfaceName": {"type": "string"},
            "privateLinkServiceConnections": {
                "type": "array",
                "items": _PRIVATE_LINK_CONNECTION,
                "minItems": 1,
            },
            # A connection the target's owner approves (the deploying identity has no rights there).
            "manualPrivateLinkServiceConnections": {
                "type": "array",
                "items": _PRIVATE_LINK_CONNECTION,
                "minItems": 1,
            },
        },
        ["subnet"],
    ),
    ("microsoft.network/privateendpoints/privatednszonegroups", "2024-05-01"): _tracked(
        {
            "privateDnsZoneConfigs": {
                "type": "array",
                "minItems": 1,
                "items": _object(
                    {
                        "name": {"type": "string"},
                        "properties": _object({"privateDnsZoneId": {"type": "string"}}, ["privateDnsZoneId"]),
                    },
                    ["name", "properties"],
                ),
            }
        },
        ["privateDnsZoneConfigs"],
        location=False,
    ),
    ("microsoft.network/privatednszones", "2024-06-01"): _tracked({}, []),
    ("microsoft.network/privatednszones/virtualnetworklinks", "2024-06-01"): _tracked(
        {
            "virtualNetwork": _ID,
            "registrationEnabled": {"type": "boolean"},
            "resolutionPolicy": {"enum": ["Default", "NxDomainRedirect"]},
        },
        ["virtualNetwork", "registrationEnabled"],
    ),
}
# A private endpoint carries exactly one kind of connection: approved with it, or asked of the owner.
UNVENDORED_TYPES[("microsoft.network/privateendpoints", "2024-05-01")]["properties"]["properties"][
    "oneOf"
] = [
    {"required": ["privateLinkServiceConnections"]},
    {"required": ["manualPrivateLinkServiceConnections"]},
]
