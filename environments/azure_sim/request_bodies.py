"""Which fields a request body may carry: those of the SDKs' generated models for the resource type.

A body is read into the generated model (`azure-mgmt-resource`, `azure-ai-ml`'s ARM client), then walked
alongside it: a key the model (or a nested model) does not define is an unknown field. Only the resource
types `_models` lists are checked; others pass unchecked (and say so in README.md).
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _models() -> dict[str, Any]:
    from azure.ai.ml._restclient.arm_ml_service import models as ml
    from azure.mgmt.resource.deployments import models as deployments
    from azure.mgmt.resource.resources import models as resources

    return {
        "": resources.ResourceGroup,  # resourceGroups/<name>
        "microsoft.resources/deployments": deployments.Deployment,
        "microsoft.machinelearningservices/workspaces/onlineendpoints": ml.OnlineEndpoint,
        "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments": ml.OnlineDeployment,
    }


def unknown_fields(resource_type: str, body: dict[str, Any]) -> list[str] | None:
    """Dotted paths of the body's fields the type's model does not define; None for an unchecked type."""
    model_class = _models().get(resource_type)
    if model_class is None:
        return None
    return _walk(model_class(body), body, "")


def _walk(model: Any, body: dict[str, Any], prefix: str) -> list[str]:
    fields = {rest._rest_name: attribute for attribute, rest in type(model)._attr_to_rest_field.items()}
    unknown: list[str] = []
    for key, value in body.items():
        if key not in fields:
            unknown.append(prefix + key)
            continue
        unknown.extend(_nested(getattr(model, fields[key]), value, f"{prefix}{key}."))
    return unknown


def _nested(parsed: Any, value: Any, prefix: str) -> list[str]:
    if getattr(parsed, "_is_model", False) and isinstance(value, dict):
        return _walk(parsed, value, prefix)
    if isinstance(parsed, list) and isinstance(value, list):
        return [
            f
            for i, (p, v) in enumerate(zip(parsed, value, strict=True))
            for f in _nested(p, v, f"{prefix}{i}.")
        ]
    if isinstance(parsed, dict) and isinstance(value, dict):
        return [f for k, v in value.items() for f in _nested(parsed.get(k), v, f"{prefix}{k}.")]
    return []
