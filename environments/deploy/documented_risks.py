"""What a plan deploys that the service's documentation says will not work, said loudly in the plan.

Stream Analytics -> the Azure ML online endpoint in a private environment: "If you're using an Azure ML
Managed Endpoint service, Stream Analytics can currently only access endpoints that have public network
access enabled." (https://learn.microsoft.com/azure/stream-analytics/machine-learning-udf, Limitations).
A Stream Analytics cluster's managed private endpoints are documented for inputs and outputs only (SQL
Database, Cosmos DB, Blob Storage, Data Lake Storage Gen2, Event Hubs, IoT Hub, Service Bus, Synapse
dedicated SQL pool, Data Explorer: https://learn.microsoft.com/azure/stream-analytics/private-endpoints),
not an Azure ML workspace (`amlworkspace`). So with the endpoint's public network access disabled the
job's scoring calls cannot reach it (decision 0023).
"""

from __future__ import annotations

from environments.model import Environment
from environments.naming import resource_names

ASA_ENDPOINT_PAGE = "https://learn.microsoft.com/azure/stream-analytics/machine-learning-udf"


def documented_risks(env: Environment) -> tuple[str, ...]:
    """One line per documented limitation the environment's deployment runs into (none for network: public)."""
    if env.network != "private":
        return ()
    names = resource_names(env)
    return (
        f"{names.stream_job} (Stream Analytics) cannot call the online endpoint {names.endpoint}: its public "
        "network access is disabled (network: private), and Stream Analytics 'can currently only access "
        f"endpoints that have public network access enabled' ({ASA_ENDPOINT_PAGE}, Limitations); no managed "
        "private endpoint of the cluster reaches an Azure ML workspace. The job deploys and starts, and every "
        "scoring call fails until this changes (decision 0023, docs/decisions/private-networking.md).",
    )
