"""Private networking, computed from the rendered templates: in dev, staging and prod every storage account,
Key Vault, Event Hubs namespace, container registry and Azure ML workspace refuses the internet and is
reached through a private endpoint whose DNS zone is in the environment's network; the online endpoint
refuses the internet; the Stream Analytics job runs on the environment's cluster, whose managed private
endpoints reach its inputs and outputs. A trial environment (network: public) renders none of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from environments.arm import validate_directory
from environments.arm.validate import find_templates
from environments.errors import ConfigError
from environments.loader import OVERRIDES_VARIABLE, load_environment
from environments.render import render_environment

AZURE = ("dev", "staging", "prod")
CLOSED = {
    "Microsoft.Storage/storageAccounts",
    "Microsoft.KeyVault/vaults",
    "Microsoft.EventHub/namespaces",
    "Microsoft.ContainerRegistry/registries",
    "Microsoft.MachineLearningServices/workspaces",
}
# The sub-resources each type is reached on (https://learn.microsoft.com/azure/private-link/private-endpoint-dns).
GROUPS = {
    "Microsoft.Storage/storageAccounts": {"blob", "file"},
    "Microsoft.KeyVault/vaults": {"vault"},
    "Microsoft.EventHub/namespaces": {"namespace"},
    "Microsoft.ContainerRegistry/registries": {"registry"},
    "Microsoft.MachineLearningServices/workspaces": {"amlworkspace"},
}
PRIVATE_ENDPOINT = "Microsoft.Network/privateEndpoints"


def _render(out: Path, env: str) -> list[dict[str, Any]]:
    render_environment(env, out=out)
    return [resource for _, template in find_templates(out) for resource in template["resources"]]


def _resource_id(type_: str, name: str) -> str:
    return f"[resourceId('{type_}', '{name}')]"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[dict[str, Any]]]]:
    result = {}
    for env in AZURE:
        out = tmp_path_factory.mktemp(env)
        result[env] = (out, _render(out, env))
    return result


@pytest.mark.parametrize("env", AZURE)
def test_every_store_refuses_the_internet_and_has_its_private_endpoints(rendered, env: str) -> None:
    _, resources = rendered[env]
    closed = [r for r in resources if r["type"] in CLOSED]
    assert {r["type"] for r in closed} == CLOSED
    endpoints = [r for r in resources if r["type"] == PRIVATE_ENDPOINT]
    reached: dict[str, set[str]] = {}
    for endpoint in endpoints:
        properties = endpoint["properties"]
        connections = properties.get("privateLinkServiceConnections", []) + properties.get(
            "manualPrivateLinkServiceConnections", []
        )
        for connection in connections:
            target = connection["properties"]["privateLinkServiceId"]
            reached.setdefault(target, set()).update(connection["properties"]["groupIds"])
    for resource in closed:
        label = f"{env}: {resource['type']} {resource['name']}"
        assert resource["properties"]["publicNetworkAccess"] == "Disabled", label
        acls = resource["properties"].get("networkAcls")
        if acls is not None:
            assert acls["defaultAction"] == "Deny", label
        target = _resource_id(resource["type"], resource["name"])
        assert reached.get(target) == GROUPS[resource["type"]], (
            f"{label}: private endpoints {reached.get(target)}"
        )


@pytest.mark.parametrize("env", AZURE)
def test_every_private_endpoint_registers_in_a_zone_linked_to_the_network(rendered, env: str) -> None:
    _, resources = rendered[env]
    (network,) = [r for r in resources if r["type"] == "Microsoft.Network/virtualNetworks"]
    network_id = _resource_id("Microsoft.Network/virtualNetworks", network["name"])
    zones = {r["name"] for r in resources if r["type"] == "Microsoft.Network/privateDnsZones"}
    linked = {
        r["name"].split("/")[0]
        for r in resources
        if r["type"] == "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
        and r["properties"]["virtualNetwork"]["id"] == network_id
    }
    groups = [r for r in resources if r["type"] == "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"]
    endpoints = {r["name"] for r in resources if r["type"] == PRIVATE_ENDPOINT}
    assert {g["name"].split("/")[0] for g in groups} == endpoints, "a private endpoint without DNS records"
    used = {
        config["properties"]["privateDnsZoneId"]
        for group in groups
        for config in group["properties"]["privateDnsZoneConfigs"]
    }
    assert used == {_resource_id("Microsoft.Network/privateDnsZones", zone) for zone in zones}
    assert linked == zones


@pytest.mark.parametrize("env", AZURE)
def test_workspace_allows_only_approved_outbound_and_the_endpoint_stays_open_to_stream_analytics(
    rendered, env: str
) -> None:
    out, resources = rendered[env]
    (workspace,) = [r for r in resources if r["type"] == "Microsoft.MachineLearningServices/workspaces"]
    assert workspace["properties"]["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    endpoint = yaml.safe_load((out / "ml" / "azureml" / "endpoint.yml").read_text())
    # The one resource open to the internet: Stream Analytics "can currently only access endpoints that
    # have public network access enabled" (machine-learning-udf, Limitations; decision 0023). Key auth.
    assert (endpoint["public_network_access"], endpoint["auth_mode"]) == ("enabled", "key")


ML_REGISTRY = "Microsoft.MachineLearningServices/registries"


@pytest.mark.parametrize("env", AZURE)
def test_the_shared_registry_refuses_the_internet_and_each_network_and_workspace_reach_it_privately(
    rendered, env: str
) -> None:
    """https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation: a private
    endpoint (amlregistry) from each workspace's network, and the workspace's managed network's own."""
    _, resources = rendered[env]
    (registry,) = [r for r in resources if r["type"] == ML_REGISTRY]
    assert registry["properties"]["publicNetworkAccess"] == "Disabled"
    owner_group = load_environment("dev").azure.resource_group
    registry_id = (
        _resource_id(ML_REGISTRY, registry["name"])
        if env == "dev"
        else f"[resourceId('{owner_group}', '{ML_REGISTRY}', '{registry['name']}')]"
    )
    (endpoint,) = [
        r
        for r in resources
        if r["type"] == PRIVATE_ENDPOINT
        for kind in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
        for c in r["properties"].get(kind, [])
        if c["properties"]["privateLinkServiceId"] == registry_id
    ]
    # Another environment's deploy has no rights on the owner's group: it asks, the owner approves.
    kind = "privateLinkServiceConnections" if env == "dev" else "manualPrivateLinkServiceConnections"
    assert endpoint["properties"][kind][0]["properties"]["groupIds"] == ["amlregistry"]
    assert (endpoint["dependsOn"] == []) == (env != "dev"), "no dependsOn on another group's resource"
    (workspace,) = [r for r in resources if r["type"] == "Microsoft.MachineLearningServices/workspaces"]
    rule = workspace["properties"]["managedNetwork"]["outboundRules"]["ml-registry"]
    assert rule["type"] == "PrivateEndpoint"
    assert rule["destination"]["serviceResourceId"] == registry_id
    assert rule["destination"]["subresourceTarget"] == "amlregistry"


@pytest.mark.parametrize("env", AZURE)
def test_stream_job_runs_on_the_cluster_that_reaches_its_inputs_and_outputs(rendered, env: str) -> None:
    _, resources = rendered[env]
    (cluster,) = [r for r in resources if r["type"] == "Microsoft.StreamAnalytics/clusters"]
    (job,) = [r for r in resources if r["type"] == "Microsoft.StreamAnalytics/streamingjobs"]
    assert job["properties"]["cluster"]["id"] == _resource_id(
        "Microsoft.StreamAnalytics/clusters", cluster["name"]
    )
    assert cluster["sku"]["capacity"] == load_environment(env).stream_analytics.cluster_capacity
    assert job["properties"]["transformation"]["properties"]["streamingUnits"] <= cluster["sku"]["capacity"]
    reached = {
        (
            connection["properties"]["privateLinkServiceId"].split("'")[1],
            *connection["properties"]["groupIds"],
        )
        for r in resources
        if r["type"] == "Microsoft.StreamAnalytics/clusters/privateEndpoints"
        for connection in r["properties"]["manualPrivateLinkServiceConnections"]
    }
    inputs_outputs = {
        ("Microsoft.EventHub/namespaces", "namespace"),
        ("Microsoft.Storage/storageAccounts", "blob"),
    }
    assert inputs_outputs <= reached


def test_a_trial_environment_is_public_and_renders_no_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = tmp_path / "trial.yml"
    overrides.write_text("network: public\nrunner: [ubuntu-24.04]\n")
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(overrides))
    out = tmp_path / "build"
    resources = _render(out, "dev")
    assert validate_directory(out)
    for resource in resources:
        assert not resource["type"].startswith("Microsoft.Network/"), resource["name"]
        assert not resource["type"].startswith("Microsoft.StreamAnalytics/clusters"), resource["name"]
        if resource["type"] in CLOSED or resource["type"] == ML_REGISTRY:
            assert resource["properties"]["publicNetworkAccess"] == "Enabled", resource["name"]
        if resource["type"] == "Microsoft.MachineLearningServices/workspaces":
            assert "managedNetwork" not in resource["properties"]
    endpoint = yaml.safe_load((out / "ml" / "azureml" / "endpoint.yml").read_text())
    assert endpoint["public_network_access"] == "enabled"


def test_a_private_environment_refuses_a_github_hosted_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = tmp_path / "hosted.yml"
    overrides.write_text("runner: [ubuntu-24.04]\n")
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(overrides))
    with pytest.raises(ConfigError) as caught:
        load_environment("prod")
    (problem,) = caught.value.problems
    assert "runner: ubuntu-24.04 is a GitHub-hosted runner" in problem and "network: public" in problem


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"virtual_network": {"runner_subnet": "10.61.0.0/24"}},
            "runner_subnet: 10.61.0.0/24 is not inside address_space 10.60.0.0/22",
        ),
        (
            {"virtual_network": {"runner_subnet": "10.60.0.128/25"}},
            "private_endpoint_subnet 10.60.0.0/24 overlaps runner_subnet 10.60.0.128/25",
        ),
        (
            {"virtual_network": {"address_space": "10.60.0.1/22"}},
            "address_space: '10.60.0.1/22' is not an IPv4",
        ),
        (
            {"stream_analytics": {"streaming_units": 42}},
            "stream_analytics.streaming_units: 42 do not fit the cluster's cluster_capacity 36",
        ),
    ],
)
def test_a_network_that_cannot_work_is_refused_with_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overrides: dict, expected: str
) -> None:
    path = tmp_path / "overrides.yml"
    path.write_text(yaml.safe_dump(overrides))
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(path))
    with pytest.raises(ConfigError) as caught:
        load_environment("dev")
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
