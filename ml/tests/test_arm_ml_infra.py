"""ML infrastructure ARM: schema-valid per environment, the same resources everywhere but for names and sizes."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from environments.arm import validate_directory, validate_template
from environments.loader import load_environment
from environments.naming import resource_names

AZURE_ENVIRONMENTS = ("dev", "staging", "prod")


def _template(rendered_ml: dict[str, Path], env: str) -> dict:
    return json.loads((rendered_ml[env] / "arm" / "ml-infra.json").read_text())


@pytest.mark.parametrize("env", AZURE_ENVIRONMENTS)
def test_template_and_parameters_validate(rendered_ml: dict[str, Path], env: str) -> None:
    validated = validate_directory(rendered_ml[env] / "arm")
    assert [p.name for p in validated] == ["ml-infra.json"]


def test_local_renders_no_arm(rendered_ml: dict[str, Path]) -> None:
    assert not (rendered_ml["local"] / "arm").exists()


def _shape(template: dict, env: str) -> list[tuple[str, str]]:
    """Resource types with their names, the environment's own names replaced by placeholders."""
    names = resource_names(load_environment(env))
    replacements = sorted(
        ((value, f"<{field}>") for field, value in vars(names).items() if field != "base"),
        key=lambda pair: -len(pair[0]),
    )
    shape = []
    for resource in template["resources"]:
        name = resource["name"]
        for value, placeholder in replacements:
            name = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", placeholder, name)
        # Names made from the environment's prefix (the private endpoints: `<base>-acr-pe`).
        name = re.sub(rf"^{re.escape(names.base)}-", "<base>-", name)
        shape.append((resource["type"], name))
    return shape


def test_every_environment_deploys_the_same_resources(rendered_ml: dict[str, Path]) -> None:
    shapes = {env: _shape(_template(rendered_ml, env), env) for env in AZURE_ENVIRONMENTS}
    assert shapes["dev"] == shapes["staging"] == shapes["prod"]
    assert shapes["dev"] == [
        ("Microsoft.ContainerRegistry/registries", "<container_registry>"),
        ("Microsoft.MachineLearningServices/workspaces", "<workspace>"),
        (
            "Microsoft.MachineLearningServices/workspaces/computes",
            "[format('{0}/{1}', '<workspace>', '<compute_cluster>')]",
        ),
        # network: private: the container registry's, the workspace's and the shared Azure ML registry's
        # private endpoints with their DNS records
        ("Microsoft.Network/privateEndpoints", "<base>-acr-pe"),
        ("Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "<base>-acr-pe/default"),
        ("Microsoft.Network/privateEndpoints", "<base>-mlw-pe"),
        ("Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "<base>-mlw-pe/default"),
        ("Microsoft.Network/privateEndpoints", "<base>-mlr-pe"),
        ("Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "<base>-mlr-pe/default"),
        ("Microsoft.Insights/diagnosticSettings", "<log_analytics>"),
        ("Microsoft.Insights/diagnosticSettings", "<log_analytics>"),
        (  # data scientists' compute instances: a copy loop, of zero outside dev
            "Microsoft.MachineLearningServices/workspaces/computes",
            "[format('{0}/{1}', '<workspace>', variables('dataScientists')[copyIndex()].computeName)]",
        ),
        ("Microsoft.MachineLearningServices/registries", "<registry>"),
    ]


def test_workspace_links_the_shared_infrastructure(rendered_ml: dict[str, Path]) -> None:
    template = _template(rendered_ml, "staging")
    names = resource_names(load_environment("staging"))
    workspace = next(r for r in template["resources"] if r["type"].endswith("/workspaces"))
    linked = {
        key: template["variables"][value[len("[variables('") : -len("')]")]]
        for key, value in workspace["properties"].items()
        if str(value).startswith("[variables(")
    }
    assert linked == {
        "storageAccount": f"[resourceId('Microsoft.Storage/storageAccounts', '{names.storage_account}')]",
        "keyVault": f"[resourceId('Microsoft.KeyVault/vaults', '{names.key_vault}')]",
        "applicationInsights": f"[resourceId('Microsoft.Insights/components', '{names.app_insights}')]",
        "containerRegistry": f"[resourceId('Microsoft.ContainerRegistry/registries', '{names.container_registry}')]",
    }


def test_only_the_owner_creates_the_shared_registry(rendered_ml: dict[str, Path]) -> None:
    created = {
        env: json.loads((rendered_ml[env] / "arm" / "ml-infra.parameters.json").read_text())["parameters"][
            "createRegistry"
        ]["value"]
        for env in AZURE_ENVIRONMENTS
    }
    assert created == {"dev": True, "staging": False, "prod": False}


def test_compute_size_follows_the_environment(rendered_ml: dict[str, Path]) -> None:
    for env in AZURE_ENVIRONMENTS:
        settings = load_environment(env).workspace
        compute = next(r for r in _template(rendered_ml, env)["resources"] if r["type"].endswith("/computes"))
        assert compute["properties"]["properties"]["vmSize"] == settings.compute_vm_size
        assert (
            compute["properties"]["properties"]["scaleSettings"]["maxNodeCount"]
            == settings.compute_max_instances
        )


def test_a_misspelled_property_is_caught(rendered_ml: dict[str, Path]) -> None:
    template = copy.deepcopy(_template(rendered_ml, "dev"))
    workspace = next(r for r in template["resources"] if r["type"].endswith("/workspaces"))
    workspace["properties"]["keyVaultt"] = workspace["properties"].pop("keyVault")
    problems = validate_template(template)
    assert any("keyVaultt" in problem for problem in problems), problems


WORKSTATIONS = """\
workspace:
  data_scientists:
    - {name: alice, object_id: 11111111-2222-3333-4444-555555555555}
    - {name: bob, object_id: 11111111-2222-3333-4444-666666666666}
"""


def test_each_dev_data_scientist_gets_a_private_instance_that_shuts_down_when_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from environments.render import render_template

    overrides = tmp_path / "people.yml"
    overrides.write_text(WORKSTATIONS, encoding="utf-8")
    monkeypatch.setenv("STREAMSCORE_OVERRIDES", str(overrides))
    env = load_environment("dev")
    target = render_template(env, "ml/templates/arm/ml-infra.json.j2", tmp_path / "arm" / "ml-infra.json")
    template = json.loads(target.read_text())
    assert validate_template(template) == []
    assert template["variables"]["dataScientists"] == [
        {"computeName": "sscore-dev-alice", "objectId": "11111111-2222-3333-4444-555555555555"},
        {"computeName": "sscore-dev-bob", "objectId": "11111111-2222-3333-4444-666666666666"},
    ]
    (instances,) = [
        r for r in template["resources"] if r.get("copy", {}).get("name") == "dataScientistInstances"
    ]
    assert instances["copy"]["count"] == "[length(variables('dataScientists'))]"
    settings = instances["properties"]["properties"]
    assert instances["properties"]["computeType"] == "ComputeInstance"
    assert settings["enableNodePublicIp"] is False
    assert settings["sshSettings"] == {"sshPublicAccess": "Disabled"}
    assert settings["idleTimeBeforeShutdown"] == f"PT{env.workspace.instance_idle_shutdown_minutes}M"
    assert settings["personalComputeInstanceSettings"]["assignedUser"]["objectId"].endswith(
        "[copyIndex()].objectId]"
    )


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_staging_and_prod_refuse_data_scientists_instances(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from environments.errors import ConfigError

    overrides = tmp_path / "people.yml"
    overrides.write_text(WORKSTATIONS, encoding="utf-8")
    monkeypatch.setenv("STREAMSCORE_OVERRIDES", str(overrides))
    with pytest.raises(ConfigError, match="compute instances are for 'dev' only"):
        load_environment(env)


def test_no_environment_file_lists_data_scientists_outside_dev() -> None:
    for env in ("local", "staging", "prod"):
        assert load_environment(env).workspace.data_scientists == []
    # Zero instances still declare the resource (a copy loop of 0): the same resources everywhere.
    assert load_environment("dev").workspace.data_scientists == []
