"""Values the ml templates need beyond the environment: pinned training dependencies and content versions.

Versions are content hashes, so the same code and dependencies render the same component and environment
versions everywhere: the registry gets each version once and staging and prod refer to exactly it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from environments.asset_versions import code_version, content_version, pinned
from environments.model import Environment
from environments.naming import compute_instance_name
from environments.private_network import registry_link
from ml.serving.code_folder import SCORE_CODE_SOURCES

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAINING_PACKAGES = (
    "mlflow",
    "scikit-learn",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "cloudpickle",
    "pydantic",
    "pyyaml",
)
# Azure ML compute reaches the workspace's MLflow server through this plugin; it is not needed locally.
AZURE_ONLY_PACKAGES = ("azureml-mlflow==1.62.0.post6",)
# A dated build, never `:latest`: the environment version hashes this name, so a new base image is a
# deliberate change that makes a new environment version.
TRAINING_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20260514.v1"
COMPONENT_SOURCES = (
    "ml/components",
    "ml/training",
    "ml/data",
    "ml/errors.py",
    "ml/registry/__init__.py",
    "ml/registry/champion.py",
    "ml/registry/errors.py",
    "environments/data_schema.py",
    "environments/drift_scenario.py",
)
CHAMPION_ALIAS = "production"
# The registry is shared: one environment creates it, the others only use it (ARM `condition`).
REGISTRY_OWNER = "dev"
COMPONENTS = ("prep", "train", "evaluate", "register")


def training_requirements() -> list[str]:
    """Pinned pip requirements of the training environment, from the locked virtual environment."""
    return pinned(TRAINING_PACKAGES) + list(AZURE_ONLY_PACKAGES)


def component_version(root: Path = REPO_ROOT) -> str:
    """A content hash of the component code: changes exactly when the code the components run changes."""
    return code_version(COMPONENT_SOURCES, root)


def _training_file(env: Environment) -> str:
    """Where `python -m ml data <env>` writes the training file, relative to the repository root."""
    state = env.local.state_dir if env.local is not None else f"build/{env.name}/state"
    return f"{state}/data/training.parquet"


def workstations(env: Environment) -> list[dict[str, str]]:
    """The data scientists' compute instances the ML template creates (a copy loop over this list)."""
    return [
        {"computeName": compute_instance_name(env, person.name), "objectId": person.object_id}
        for person in env.workspace.data_scientists
    ]


# What the workspace's managed network lets its computes (training, drift, online deployments) reach
# beyond the workspace's own storage, Key Vault and container registry (whose private endpoint rules Azure
# ML adds itself): the package indexes its environment images build from (conda-forge and PyPI) and Azure
# Monitor, where score.py and the drift job send telemetry. FQDN rules run through an Azure Firewall the
# workspace creates (Basic tier).
# https://learn.microsoft.com/azure/machine-learning/how-to-managed-network (outbound rules, scenarios)
# The scheduled inference export (decision 0016) queries Application Insights through the Logs query API,
# azure-monitor-query's default endpoint `https://api.loganalytics.io`, named here explicitly besides the
# AzureMonitor service tag; it writes to the workspace's own storage account, reached through the private
# endpoint rule Azure ML creates for it.
PACKAGE_HOSTS = ("pypi.org", "files.pythonhosted.org", "conda.anaconda.org")
QUERY_HOSTS = ("api.loganalytics.io",)


def managed_network(env: Environment) -> dict[str, Any]:
    """The workspace's `managedNetwork`: only approved outbound traffic (network: private)."""
    rules: dict[str, Any] = {
        host.replace(".", "-"): {"type": "FQDN", "category": "UserDefined", "destination": host}
        for host in (*PACKAGE_HOSTS, *QUERY_HOSTS)
    }
    rules["azure-monitor"] = {
        "type": "ServiceTag",
        "category": "UserDefined",
        "destination": {
            "serviceTag": "AzureMonitor",
            "protocol": "TCP",
            "portRanges": "443",
            "action": "Allow",
        },
    }
    registry = registry_link(env)
    if registry is not None:
        # The shared registry refuses the internet: jobs and online deployments reach it through a private
        # endpoint of the managed network (https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation,
        # "Use assets from registry in workspace"; rule shape: https://learn.microsoft.com/rest/api/azureml/managed-network-settings-rule/create-or-update).
        rules["ml-registry"] = {
            "type": "PrivateEndpoint",
            "category": "UserDefined",
            "destination": {
                "serviceResourceId": registry.resource_id(),
                "subresourceTarget": registry.group,
                "sparkEnabled": False,
            },
        }
    return {"isolationMode": "AllowOnlyApprovedOutbound", "firewallSku": "Basic", "outboundRules": rules}


def context(env: Environment) -> dict[str, Any]:
    requirements = training_requirements()
    conda = {
        "name": "training",
        "channels": ["conda-forge"],
        "dependencies": ["python=3.11", "pip", {"pip": requirements}],
    }
    return {
        "workstations": workstations(env),
        "workstation_idle_shutdown": f"PT{env.workspace.instance_idle_shutdown_minutes}M",  # ISO-8601
        "training_environment": {
            "name": f"{env.model.name}-training",
            "version": content_version([TRAINING_IMAGE.encode(), *(r.encode() for r in requirements)]),
            "image": TRAINING_IMAGE,
            "conda": conda,
        },
        "component_version": component_version(),
        "score_code_version": code_version(SCORE_CODE_SOURCES, REPO_ROOT),
        "champion_alias": CHAMPION_ALIAS,
        "registry_owner": REGISTRY_OWNER,
        # Private endpoints need the Premium tier (environments/private_network.py).
        "container_registry_sku": "Premium"
        if env.network == "private"
        else ("Standard" if env.name == "prod" else "Basic"),
        "managed_network": managed_network(env),
        "data_asset": {"name": f"{env.model.name}-training-data", "local_path": _training_file(env)},
        "component_names": {name: f"{env.model.name.replace('-', '_')}_{name}" for name in COMPONENTS},
    }
