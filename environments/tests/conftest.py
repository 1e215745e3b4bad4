"""Fixtures shared by the tests that deploy into the simulated control plane (`environments.azure_sim`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from environments.azure_sim.blob_routing import BlobStore
from environments.azure_sim.control_plane import Scorer, SimulatedAzure
from environments.azure_sim.testing import REPOSITORY, Subscription
from environments.loader import load_environment
from environments.standins import Azurite


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny trained model folder (its baseline with it): what a simulated training run registers."""
    from ml.testing import tiny_model_dir

    return tiny_model_dir(tmp_path_factory.mktemp("model"), load_environment("dev").data_schema())


@pytest.fixture(scope="module")
def scorer(trained_model: Path) -> Scorer:
    """score.py's scoring of the tiny trained model, as the simulated endpoint's deployments answer."""
    from ml.testing import deployment_scorer

    return deployment_scorer(trained_model)


@pytest.fixture
def simulated_azure(azurite: Azurite) -> SimulatedAzure:
    """An empty simulated subscription whose blob storage is the session's Azurite (services tests)."""
    return SimulatedAzure(blobs=BlobStore(azurite.blob_endpoint))


@pytest.fixture
def registry_template_check_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """azure-ai-ml's check of a registry model's default deployment template only logs, and builds its
    own registry client without the caller's transport (it would try the real network): skipped."""
    import azure.ai.ml._utils._endpoint_utils as endpoint_utils

    monkeypatch.setattr(endpoint_utils, "check_default_deployment_template", lambda *args, **kwargs: None)


@pytest.fixture
def workflow_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply runs in a workflow of this repository (GITHUB_REPOSITORY, as GitHub Actions sets it)."""
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)


@pytest.fixture
def subscription(
    tmp_path: Path, scorer: Scorer, simulated_azure: SimulatedAzure, trained_model: Path
) -> Subscription:
    """dev in an empty simulated subscription (Azurite for its blobs), training stood in by the tiny model."""
    return Subscription(tmp_path, scorer, azure=simulated_azure, model_dir=trained_model)
