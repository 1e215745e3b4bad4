"""Champion lookup on a real MLflow registry (SQLite): the `stage` tag decides, and "no champion" is told
apart from "the lookup failed", which stops the evaluate step before anything is registered."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from ml.components import evaluate
from ml.components.step_files import EVALUATION_FILE
from ml.registry import tracking
from ml.registry.champion import (
    STAGE_TAG,
    ChampionLookupError,
    find_champion,
    set_champion,
    supports_aliases,
)

# MLflow, the local registry stand-in: each test migrates a fresh SQLite store (seconds per test).
pytestmark = pytest.mark.services

NAME = "card-fraud"
STAGE = "production"


def _versions(client: MlflowClient, folder: Path, count: int) -> list[str]:
    """`count` new versions of NAME (the registry only needs a source for each)."""
    if not client.search_registered_models(f"name='{NAME}'"):
        client.create_registered_model(NAME)
    created = []
    for _ in range(count):
        source = folder / f"model-{len(created)}"
        source.mkdir(parents=True, exist_ok=True)
        created.append(str(client.create_model_version(NAME, str(source)).version))
    return created


@pytest.fixture
def client(tmp_path: Path) -> MlflowClient:
    return tracking.client(tmp_path / "state")


def test_no_champion_when_the_model_is_not_registered_or_has_no_version(client: MlflowClient) -> None:
    assert find_champion(client, NAME, STAGE).version is None
    assert "not registered yet" in find_champion(client, NAME, STAGE).reason
    client.create_registered_model(NAME)
    missing = find_champion(client, NAME, STAGE)
    assert missing.version is None and "no version yet" in missing.reason


def test_the_stage_tag_moves_with_the_alias_and_decides(client: MlflowClient, tmp_path: Path) -> None:
    first, second = _versions(client, tmp_path, 2)
    set_champion(client, NAME, first, STAGE)
    assert find_champion(client, NAME, STAGE).version == first
    set_champion(client, NAME, second, STAGE)
    assert find_champion(client, NAME, STAGE).version == second
    assert STAGE_TAG not in client.get_model_version(NAME, first).tags
    assert client.get_model_version(NAME, second).tags[STAGE_TAG] == STAGE
    assert str(client.get_model_version_by_alias(NAME, STAGE).version) == second


def test_versions_without_the_tag_are_a_failed_lookup_not_a_first_run(
    client: MlflowClient, tmp_path: Path
) -> None:
    """An alias alone (a registry where tags were lost, or Azure where aliases do not exist) never counts."""
    (version,) = _versions(client, tmp_path, 1)
    client.set_registered_model_alias(NAME, STAGE, version)
    with pytest.raises(ChampionLookupError, match=r"versions 1 exist but none has the tag stage=production"):
        find_champion(client, NAME, STAGE)


def test_two_tagged_versions_or_a_disagreeing_alias_fail_the_lookup(
    client: MlflowClient, tmp_path: Path
) -> None:
    first, second = _versions(client, tmp_path, 2)
    set_champion(client, NAME, first, STAGE)
    client.set_model_version_tag(NAME, second, STAGE_TAG, STAGE)
    with pytest.raises(ChampionLookupError, match=r"versions 1, 2 all have the tag"):
        find_champion(client, NAME, STAGE)
    client.delete_model_version_tag(NAME, first, STAGE_TAG)
    with pytest.raises(ChampionLookupError, match=r"tag stage=production is on version 2 but the alias"):
        find_champion(client, NAME, STAGE)


def test_an_unreachable_registry_is_a_failed_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    from environments.standins import free_port

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    unreachable = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChampionLookupError, match=r"cannot read the registered model"):
        find_champion(MlflowClient(tracking_uri=unreachable, registry_uri=unreachable), NAME, STAGE)


def test_azure_ml_registries_have_no_aliases() -> None:
    assert not supports_aliases("azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/s")
    assert supports_aliases("sqlite:///tmp/mlflow.db")


def test_evaluate_stops_before_writing_a_decision_when_the_lookup_fails(
    tmp_path: Path, client: MlflowClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    _versions(client, tmp_path, 1)  # registered, but no version is tagged: the lookup cannot tell
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking.tracking_uri(tmp_path / "state"))
    out = tmp_path / "evaluation"
    argv = ["--model", str(tmp_path / "m"), "--holdout", str(tmp_path / "h"), "--schema", str(tmp_path / "s")]
    argv += ["--model-name", NAME, "--champion-alias", STAGE, "--primary-metric", "roc_auc"]
    argv += ["--promotion-margin", "0.002", "--evaluation", str(out)]
    assert evaluate.main(argv) == 2
    assert "champion lookup failed, nothing is registered" in capsys.readouterr().err
    assert not (out / EVALUATION_FILE).exists()
