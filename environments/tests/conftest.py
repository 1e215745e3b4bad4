"""Fixtures shared by the tests that deploy into the simulated control plane (`environments.azure_sim`)."""

from __future__ import annotations

import pytest

from environments.azure_sim.control_plane import Scorer
from environments.loader import load_environment


@pytest.fixture(scope="module")
def scorer(tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    """score.py's scoring of a tiny trained model, as the simulated endpoint's deployments answer."""
    from ml.testing import deployment_scorer, tiny_model_dir

    schema = load_environment("dev").data_schema()
    return deployment_scorer(tiny_model_dir(tmp_path_factory.mktemp("model"), schema))


@pytest.fixture
def registry_template_check_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """azure-ai-ml's check of a registry model's default deployment template only logs, and builds its
    own registry client without the caller's transport (it would try the real network): skipped."""
    import azure.ai.ml._utils._endpoint_utils as endpoint_utils

    monkeypatch.setattr(endpoint_utils, "check_default_deployment_template", lambda *args, **kwargs: None)
