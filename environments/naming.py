"""Azure resource names derived from an environment: one place, so every template agrees."""

from __future__ import annotations

import re
from dataclasses import dataclass

from environments.model import Environment


def _compact(text: str, limit: int) -> str:
    """Lowercase letters and digits only, for resources that allow nothing else (storage, registry)."""
    return re.sub(r"[^a-z0-9]", "", text.lower())[:limit]


@dataclass(frozen=True)
class ResourceNames:
    """Names of the resources an environment deploys; the local target uses them as labels only."""

    base: str
    storage_account: str
    key_vault: str
    log_analytics: str
    app_insights: str
    export_identity: str
    drift_identity: str
    container_registry: str
    workspace: str
    registry: str
    event_hubs_namespace: str
    stream_job: str
    endpoint: str
    compute_cluster: str
    virtual_network: str
    stream_cluster: str
    telemetry_secret: str  # in key_vault: the Application Insights connection string, written by ARM


def resource_names(env: Environment) -> ResourceNames:
    base = f"{env.prefix}-{env.name}"
    return ResourceNames(
        base=base,
        storage_account=_compact(f"{env.prefix}{env.name}st", 24),
        key_vault=f"{base}-kv"[:24],
        log_analytics=f"{base}-log",
        app_insights=f"{base}-appi",
        # One user-assigned identity per workload, each with roles on only what it touches
        # (docs/identities.md); the Stream Analytics job uses its system-assigned one, the retrain Logic App
        # none (it reads nothing at run time: decision 0016).
        export_identity=f"{base}-export-id",
        drift_identity=f"{base}-drift-id",
        container_registry=_compact(f"{env.prefix}{env.name}acr", 50),
        workspace=f"{base}-{env.workspace.name}",
        # The registry is shared by all environments, so its name carries no environment.
        registry=f"{env.prefix}-{env.registry.name}"
        if not env.registry.name.startswith(env.prefix)
        else env.registry.name,
        event_hubs_namespace=f"{base}-{env.event_hubs.namespace}",
        stream_job=f"{base}-{env.stream_analytics.job_name}",
        # Online endpoint names are unique per Azure region: keep the environment in them.
        endpoint=f"{base}-{env.endpoint.name}"[:32],
        compute_cluster=env.workspace.compute_cluster[:16],
        virtual_network=f"{base}-vnet",
        stream_cluster=f"{base}-{env.stream_analytics.job_name}-cluster",
        telemetry_secret="appinsights-connection-string",
    )


def compute_instance_name(env: Environment, person: str) -> str:
    """A data scientist's compute instance: unique in the Azure region, 3-24 characters."""
    return f"{env.prefix}-{env.name}-{person}"[:24]
