"""Least privilege, computed from the rendered templates of every Azure environment: each role assignment
is scoped to a resource (never its resource group), blob roles to one container, Key Vault roles to one
secret, and each user-assigned identity is worn by one workload only."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from environments.arm.scopes import resource_path as resolve
from environments.arm.validate import find_templates
from environments.render import render_environment

AZURE = ("dev", "staging", "prod")
ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"
# Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
BLOB_ROLES = {
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
}
KEY_VAULT_SECRET_ROLES = {"4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User"}
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    result = {}
    for env in AZURE:
        out = tmp_path_factory.mktemp(env)
        render_environment(env, out=out)
        result[env] = [(path.relative_to(out).as_posix(), template) for path, template in find_templates(out)]
    return result


@pytest.fixture(scope="module")
def assignments(rendered) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    found = [
        (env, path, resource, template)
        for env, templates in rendered.items()
        for path, template in templates
        for resource in template.get("resources", [])
        if resource["type"] == ROLE_ASSIGNMENT
    ]
    assert found, "no role assignments rendered"
    return found


def _scope(resource: dict[str, Any], template: dict[str, Any]) -> str:
    assert "scope" in resource, f"{resource['name']}: no scope, so it applies to the whole resource group"
    return resolve(resource["scope"], template.get("variables", {}))


def _role(resource: dict[str, Any], template: dict[str, Any]) -> str:
    definition = resource["properties"]["roleDefinitionId"]
    reference = re.fullmatch(r"\[variables\('([^']+)'\)\]", definition)
    if reference:
        definition = template["variables"][reference.group(1)]
    found = _GUID.search(definition)
    assert found, f"{resource['name']}: no role definition id in {definition!r}"
    return found.group(0)


def test_every_role_assignment_is_narrower_than_its_resource_group(assignments) -> None:
    for env, path, resource, template in assignments:
        scope = _scope(resource, template)
        segments = scope.split("/")
        # <provider>/<type>/<name>[/<type>/<name>...]: a resource inside the group, not the group itself.
        assert segments[0].startswith("Microsoft.") and len(segments) >= 3 and len(segments) % 2 == 1, (
            f"{env} {path}: {resource['name']} is scoped to {scope!r}"
        )
        assert "resourceGroups" not in scope, f"{env} {path}: {scope!r}"


def test_blob_roles_name_one_container_and_key_vault_roles_one_secret(assignments) -> None:
    seen = Counter()
    for env, path, resource, template in assignments:
        role, scope = _role(resource, template), _scope(resource, template)
        if role in BLOB_ROLES:
            seen["blob"] += 1
            assert re.fullmatch(
                r"Microsoft\.Storage/storageAccounts/[^/]+/blobServices/default/containers/[^/]+", scope
            ), f"{env} {path}: {BLOB_ROLES[role]} on {scope!r}, not one container"
        if role in KEY_VAULT_SECRET_ROLES:
            seen["secret"] += 1
            assert re.fullmatch(r"Microsoft\.KeyVault/vaults/[^/]+/secrets/[^/]+", scope), (
                f"{env} {path}: {KEY_VAULT_SECRET_ROLES[role]} on {scope!r}, not one secret"
            )
    assert seen["blob"] and seen["secret"], f"the checks above never ran: {dict(seen)}"


def test_each_user_assigned_identity_is_worn_by_one_workload(rendered) -> None:
    for env, templates in rendered.items():
        wearers: Counter[str] = Counter()
        for _, template in templates:
            for resource in template.get("resources", []):
                for identity in (resource.get("identity") or {}).get("userAssignedIdentities", {}):
                    wearers[resolve(identity, template.get("variables", {}))] += 1
        assert wearers, f"{env}: no user-assigned identity worn"
        shared = {identity: count for identity, count in wearers.items() if count > 1}
        assert not shared, f"{env}: identities worn by more than one workload: {shared}"
