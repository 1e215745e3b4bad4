"""The plan that tears an Azure environment down (pure: no Azure calls), in the deploy plan's shape.

One step: delete the environment's resource group, which deletes every resource in it (ARM
`Resource Groups - Delete`, https://learn.microsoft.com/rest/api/resources/resource-groups/delete).
The step lists what the rendered templates put in that group, so the plan shows what goes, and names
what other environments depend on: the environment that owns the shared Azure ML registry
(`REGISTRY_OWNER`) creates it in its own group, and staging and prod promote models from it.
"""

from __future__ import annotations

from pathlib import Path

from environments.arm.validate import find_templates
from environments.deploy.plan import Plan, Step
from environments.model import Environment

REGISTRY_TYPE = "Microsoft.MachineLearningServices/registries"


def _rendered_resources(build: Path) -> list[dict[str, str]]:
    resources = []
    for path, template in find_templates(build):
        for resource in template.get("resources", []):
            entry = {"type": str(resource["type"]), "name": str(resource["name"]), "from": path.name}
            if "condition" in resource:
                entry["condition"] = str(resource["condition"])
            resources.append(entry)
    return resources


def build_destroy_plan(env: Environment, build: Path, resource_group_exists: bool | None) -> Plan:
    """Delete `env`'s resource group; nothing when it is known not to exist (`None`: not read, offline)."""
    if env.azure is None:
        raise ValueError(f"{env.name} is not an Azure environment: there is nothing to destroy")
    if resource_group_exists is False:
        return Plan(environment=env.name, steps=())
    resources = _rendered_resources(build)
    shared = [r for r in resources if r["type"] == REGISTRY_TYPE and r.get("condition")]
    request = {
        "resourceGroup": env.azure.resource_group,
        "deletes": resources,
        "sharedWithOtherEnvironments": [
            f"{r['type']} {r['name']} (created here when {r['condition']}; staging and prod promote from it)"
            for r in shared
        ],
    }
    step = Step(
        kind="resource-group-delete",
        name="delete-resource-group",
        target=f"resourceGroups/{env.azure.resource_group}",
        request=request,
        source="every resource in the group",
    )
    return Plan(environment=env.name, steps=(step,))
