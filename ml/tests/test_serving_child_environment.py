"""Each process of the local endpoint gets only the secrets it uses (issue 11, local security): a
deployment gets the key it checks and its inference log's connection string, never `ML_ENDPOINT_KEY` or
the storage connection string of whoever started `ml serve`; the router gets the key only."""

from __future__ import annotations

from pathlib import Path

import pytest

from environments.local_secrets import BLOB_VARIABLE, KEY_VARIABLE, TELEMETRY_VARIABLE
from environments.standins import free_port
from environments.standins.azmlinfsrv import DEPLOYMENT_KEY_VARIABLE
from ml.serving.local_endpoint import LocalEndpoint
from ml.serving.manifests import ModelRef
from ml.serving.rollout import rollout
from ml.serving.smoke import smoke_batch

pytestmark = pytest.mark.services  # azmlinfsrv behind the router


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def test_a_deployment_and_the_router_get_only_the_secrets_they_use(
    tmp_path: Path, local_environment, scoring_model_dir, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "test-endpoint-key-not-for-children"
    telemetry = f"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:{free_port()}/"
    monkeypatch.setenv(KEY_VARIABLE, key)
    monkeypatch.setenv(TELEMETRY_VARIABLE, telemetry)
    monkeypatch.setenv(BLOB_VARIABLE, "AccountName=x;AccountKey=not-for-the-endpoint")
    monkeypatch.setenv("UNRELATED_SECRET_TOKEN", "not-for-children-either")
    endpoint = LocalEndpoint(local_environment, tmp_path / "ml", free_port())
    router = endpoint.start_router()
    try:
        smoke = smoke_batch(local_environment.data_schema(), local_environment.endpoint.smoke_batch_size)
        rollout(endpoint, ModelRef("card-fraud", "1", "models:/card-fraud/1", str(scoring_model_dir)), smoke)
        serving = endpoint.serving()
        assert serving is not None
        deployment = _environ(endpoint.routes().deployments[serving].pid)
        routing = _environ(router.pid)
    finally:
        endpoint.stop_all()
        router.stop()

    assert KEY_VARIABLE not in deployment
    assert deployment[DEPLOYMENT_KEY_VARIABLE] == key  # the key its own port checks
    assert deployment[TELEMETRY_VARIABLE] == telemetry  # its inference log
    assert routing[KEY_VARIABLE] == key
    assert TELEMETRY_VARIABLE not in routing
    for child in (deployment, routing):
        assert BLOB_VARIABLE not in child and "UNRELATED_SECRET_TOKEN" not in child
        assert key not in {v for k, v in child.items() if k not in (KEY_VARIABLE, DEPLOYMENT_KEY_VARIABLE)}
