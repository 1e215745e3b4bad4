"""What a private environment's network holds: its subnets, the private endpoints (one per resource and
sub-resource the deploy, the runners and the workspace reach), the private DNS zones they register in, and
the managed private endpoints of the Stream Analytics cluster. One owner, so the network template, each
domain's template and the tests agree.

Group ids and zone names: https://learn.microsoft.com/azure/private-link/private-endpoint-dns (Azure
public cloud). The workspace needs two zones (api.azureml.ms and notebooks.azure.net):
https://learn.microsoft.com/azure/machine-learning/how-to-configure-private-link. A container registry
accepts private endpoints only in the Premium tier:
https://learn.microsoft.com/azure/container-registry/container-registry-private-link.
"""

from __future__ import annotations

from dataclasses import dataclass

from environments.model import Environment
from environments.naming import ResourceNames, resource_names

PRIVATE_ENDPOINT_SUBNET = "private-endpoints"
RUNNER_SUBNET = "runners"
DNS_ZONE_API_VERSION = "2024-06-01"
NETWORK_API_VERSION = "2024-05-01"
STORAGE = "Microsoft.Storage/storageAccounts"
KEY_VAULT = "Microsoft.KeyVault/vaults"
EVENT_HUBS = "Microsoft.EventHub/namespaces"
CONTAINER_REGISTRY = "Microsoft.ContainerRegistry/registries"
WORKSPACE = "Microsoft.MachineLearningServices/workspaces"
ML_REGISTRY = "Microsoft.MachineLearningServices/registries"
# The Azure ML registry's group id and zone: https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation
# ("create a private endpoint from the existing virtual network to Azure Machine Learning registry"); the
# registry answers under api.azureml.ms, as the workspace does (the same zone).
ML_REGISTRY_GROUP = "amlregistry"


@dataclass(frozen=True)
class PrivateLink:
    """One private endpoint: the resource (type, name) and sub-resource (`group`) it reaches, the private
    DNS zones its addresses go into, and the domain whose template declares it (beside its resource)."""

    key: str
    domain: str
    resource_type: str
    resource_name: str
    group: str
    zones: tuple[str, ...]
    # Another resource group's resource (the registry shared by every environment lives in its owner's);
    # empty: the environment's own group.
    resource_group: str = ""

    def endpoint_name(self, names: ResourceNames) -> str:
        return f"{names.base}-{self.key}-pe"

    def resource_id(self) -> str:
        group = f"'{self.resource_group}', " if self.resource_group else ""
        return f"[resourceId({group}'{self.resource_type}', '{self.resource_name}')]"

    @property
    def in_own_group(self) -> bool:
        """Whether the target is deployed with the environment (a template may depend on it)."""
        return not self.resource_group


@dataclass(frozen=True)
class ClusterLink:
    """A managed private endpoint of the Stream Analytics cluster: what the job reaches privately."""

    key: str
    resource_type: str
    resource_name: str
    group: str

    def resource_id(self) -> str:
        return f"[resourceId('{self.resource_type}', '{self.resource_name}')]"


def private_links(env: Environment) -> tuple[PrivateLink, ...]:
    """Every private endpoint of a private environment's virtual network (none for network: public)."""
    if env.network != "private":
        return ()
    names = resource_names(env)
    return (
        # blob: the deploy's uploads, the exporter, the drift job, the workspace's datastores; file: the
        # workspace's code snapshots and notebooks (its default file share).
        PrivateLink(
            "st-blob",
            "environments",
            STORAGE,
            names.storage_account,
            "blob",
            ("privatelink.blob.core.windows.net",),
        ),
        PrivateLink(
            "st-file",
            "environments",
            STORAGE,
            names.storage_account,
            "file",
            ("privatelink.file.core.windows.net",),
        ),
        PrivateLink(
            "kv", "environments", KEY_VAULT, names.key_vault, "vault", ("privatelink.vaultcore.azure.net",)
        ),
        PrivateLink(
            "evh",
            "streaming",
            EVENT_HUBS,
            names.event_hubs_namespace,
            "namespace",
            ("privatelink.servicebus.windows.net",),
        ),
        PrivateLink(
            "acr", "ml", CONTAINER_REGISTRY, names.container_registry, "registry", ("privatelink.azurecr.io",)
        ),
        PrivateLink(
            "mlw",
            "ml",
            WORKSPACE,
            names.workspace,
            "amlworkspace",
            ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
        ),
        # The shared Azure ML registry (closed to the internet in a private environment): the runner's
        # registry writes (dev) and reads (staging, prod) go through it.
        PrivateLink(
            "mlr",
            "ml",
            ML_REGISTRY,
            names.registry,
            ML_REGISTRY_GROUP,
            ("privatelink.api.azureml.ms",),
            resource_group=registry_resource_group(env),
        ),
    )


def registry_resource_group(env: Environment) -> str:
    """The resource group of the shared registry, seen from `env`: empty in its owner (the environment
    that creates releases, dev), the owner's group elsewhere (same subscription, as
    ml/registry/registry_access.py assumes)."""
    from environments.deploy.release import RELEASE_CREATOR  # the registry's owner (one constant)
    from environments.loader import load_environment

    if env.name == RELEASE_CREATOR:
        return ""
    owner = load_environment(RELEASE_CREATOR)
    return owner.azure.resource_group if owner.azure else ""


def registry_link(env: Environment) -> PrivateLink | None:
    """The private endpoint to the shared registry (None for network: public)."""
    return next((link for link in private_links(env) if link.resource_type == ML_REGISTRY), None)


def dns_zones(env: Environment) -> tuple[str, ...]:
    """The private DNS zones the environment's network template creates and links, in a stable order."""
    return tuple(sorted({zone for link in private_links(env) for zone in link.zones}))


def cluster_links(env: Environment) -> tuple[ClusterLink, ...]:
    """The Stream Analytics cluster's managed private endpoints: the job's input and output hubs and its
    blob outputs, the documented targets
    (https://learn.microsoft.com/azure/stream-analytics/private-endpoints lists SQL Database, Cosmos DB,
    Blob Storage, Data Lake Storage Gen2, Event Hubs, IoT Hub, Service Bus, Synapse and Data Explorer).
    None to the workspace: no page lists Azure ML as a target, and "Stream Analytics can currently only
    access endpoints that have public network access enabled"
    (https://learn.microsoft.com/azure/stream-analytics/machine-learning-udf, Limitations); the plan says
    so (`environments/deploy/documented_risks.py`, decision 0023)."""
    if env.network != "private":
        return ()
    names = resource_names(env)
    return (
        ClusterLink("evh", EVENT_HUBS, names.event_hubs_namespace, "namespace"),
        ClusterLink("st-blob", STORAGE, names.storage_account, "blob"),
    )


def zone_id(zone: str) -> str:
    return f"[resourceId('Microsoft.Network/privateDnsZones', '{zone}')]"


def subnet_id(names: ResourceNames, subnet: str) -> str:
    return f"[resourceId('Microsoft.Network/virtualNetworks/subnets', '{names.virtual_network}', '{subnet}')]"


def template_context(env: Environment) -> dict[str, object]:
    """What every template may place about the network (render.py adds it to each template's context)."""
    names = resource_names(env)
    return {
        "private_network": env.network == "private",
        "private_links": private_links(env),
        "cluster_links": cluster_links(env),
        "dns_zones": dns_zones(env),
        "dns_zone_ids": tuple(zone_id(zone) for zone in dns_zones(env)),
        "zone_id": zone_id,
        "endpoint_subnet_id": subnet_id(names, PRIVATE_ENDPOINT_SUBNET),
        "subnets": {PRIVATE_ENDPOINT_SUBNET: PRIVATE_ENDPOINT_SUBNET, RUNNER_SUBNET: RUNNER_SUBNET},
    }
