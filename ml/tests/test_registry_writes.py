"""Registry writes against the simulated control plane: each asset version written once, never changed."""

from __future__ import annotations

import pytest
from azure.ai.ml import MLClient
from azure.ai.ml.entities import Environment
from azure.core.exceptions import HttpResponseError

from environments.azure_sim import SimulatedAzure, SimulatedTransport, StaticCredential
from ml.registry.registry_writes import ensure_version

REGISTRY = "resourceGroups/rg-registry/providers/Microsoft.MachineLearningServices/registries/sscore-registry"


@pytest.fixture
def azure() -> SimulatedAzure:
    azure = SimulatedAzure()
    azure.arrange("resourceGroups/rg-registry", {"name": "rg-registry", "location": "westeurope"})
    azure.arrange(REGISTRY, {"name": "sscore-registry", "location": "westeurope"})
    return azure


@pytest.fixture
def registry(azure: SimulatedAzure) -> MLClient:
    transport = SimulatedTransport(azure)
    return MLClient(
        StaticCredential(), azure.subscription_id, registry_name="sscore-registry", transport=transport
    )


def _environment(image: str = "mcr.microsoft.com/azureml/minimal-py311-inference:20250101.v1") -> Environment:
    return Environment(name="card-fraud-score", version="0f3c9a1b2d4e", image=image)


def test_a_missing_version_is_written_once_and_a_rerun_writes_nothing(
    azure: SimulatedAzure, registry: MLClient
) -> None:
    assert ensure_version(registry.environments, _environment()) is True
    assert ensure_version(registry.environments, _environment()) is False
    assert azure.journal == [f"PUT {REGISTRY}/environments/card-fraud-score/versions/0f3c9a1b2d4e"]
    assert registry.environments.get("card-fraud-score", version="0f3c9a1b2d4e").image == _environment().image


def test_the_registry_refuses_other_content_under_an_existing_version(registry: MLClient) -> None:
    registry.environments.create_or_update(_environment())
    registry.environments.create_or_update(_environment())  # the same content again: a no-op
    with pytest.raises(HttpResponseError, match="immutable"):
        registry.environments.create_or_update(_environment(image="mcr.microsoft.com/other:1"))
