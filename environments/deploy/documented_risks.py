"""What a plan deploys that the service's documentation says will not work, said loudly in the plan.

Stream Analytics -> the Azure ML online endpoint in a private environment: "If you're using an Azure ML
Managed Endpoint service, Stream Analytics can currently only access endpoints that have public network
access enabled." (https://learn.microsoft.com/azure/stream-analytics/machine-learning-udf, Limitations).
A Stream Analytics cluster's managed private endpoints are documented for inputs and outputs only (SQL
Database, Cosmos DB, Blob Storage, Data Lake Storage Gen2, Event Hubs, IoT Hub, Service Bus, Synapse
dedicated SQL pool, Data Explorer: https://learn.microsoft.com/azure/stream-analytics/private-endpoints),
not an Azure ML workspace (`amlworkspace`). So the endpoint template keeps public network access enabled
in every environment (decision 0023); a rendered endpoint that disables it (an edited template) would
deploy and start the job, and every scoring call would fail: the plan says so.
"""

from __future__ import annotations

from pathlib import Path

from environments.model import Environment
from environments.naming import resource_names
from environments.unique_keys import load_yaml

ASA_ENDPOINT_PAGE = "https://learn.microsoft.com/azure/stream-analytics/machine-learning-udf"
ENDPOINT_FILE = "ml/azureml/endpoint.yml"


def documented_risks(env: Environment, build: Path) -> tuple[str, ...]:
    """One line per documented limitation the rendered deployment in `build` runs into."""
    path = build / ENDPOINT_FILE
    if not path.is_file():
        return ()
    endpoint = load_yaml(path.read_text(encoding="utf-8")) or {}
    if str(endpoint.get("public_network_access", "enabled")).lower() != "disabled":
        return ()
    names = resource_names(env)
    return (
        f"{names.stream_job} (Stream Analytics) cannot call the online endpoint {names.endpoint}: "
        f"{ENDPOINT_FILE} disables its public network access, and Stream Analytics 'can currently only "
        f"access endpoints that have public network access enabled' ({ASA_ENDPOINT_PAGE}, Limitations); no "
        "managed private endpoint of the cluster reaches an Azure ML workspace. The job deploys and starts, "
        "and every scoring call fails until the endpoint is open again (decision 0023).",
    )
