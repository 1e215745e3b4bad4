"""The local endpoint on real processes: router + azmlinfsrv deployments, key auth, safe rollout."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from environments.standins import wait_until
from environments.testing import status_before_body
from ml.serving.batches import request_body, stream_batch
from ml.serving.errors import SmokeTestError
from ml.serving.local_endpoint import LocalEndpoint
from ml.serving.manifests import ModelRef, read_endpoint_manifest
from ml.serving.rollout import rollout
from ml.serving.smoke import smoke_batch
from ml.testing import bad_rows, rolled_out_endpoint

pytestmark = pytest.mark.services  # the endpoint: azmlinfsrv behind the router


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory, local_environment, scoring_model_dir) -> Iterator[LocalEndpoint]:
    """A local endpoint on a free port with model version 1 rolled out to `blue`."""
    state = tmp_path_factory.mktemp("endpoint")
    with rolled_out_endpoint(local_environment, state / "ml", scoring_model_dir) as endpoint:
        yield endpoint


def _score(endpoint: LocalEndpoint, rows: list[dict]) -> httpx.Response:
    """POST a batch; json.dumps, because a NaN row must reach the server as the `NaN` literal."""
    headers = {**endpoint.headers(), "Content-Type": "application/json"}
    return httpx.post(
        f"{endpoint.url}/score", content=json.dumps(request_body(rows)), headers=headers, timeout=30
    )


def test_mixed_batch_is_scored_in_order_with_bad_rows_flagged(endpoint, local_environment):
    schema = local_environment.data_schema()
    good = stream_batch(schema, 5, seed=11)
    broken = bad_rows(schema, good[0])
    rows = [good[0], broken["missing"][0], good[1], broken["wrong_type"][0], broken["nan"][0]]
    rows += [
        broken["unknown_category"][0],
        good[2],
        broken["out_of_range"][0],
        broken["bad_boolean"][0],
        good[3],
    ]

    answer = _score(endpoint, rows)

    assert answer.status_code == 200
    results = answer.json()["Results"]
    assert len(results) == len(rows)
    expected_fields = [None, "missing", None, "wrong_type", "nan", "unknown_category", None, "out_of_range"]
    expected_fields += ["bad_boolean", None]
    for result, kind in zip(results, expected_fields, strict=True):
        assert result["model_version"] == "1"
        if kind is None:
            assert result["error"] is None and 0.0 <= result["score"] <= 1.0
        else:
            assert result["score"] is None
            assert result["error"].startswith(broken[kind][1] + ":"), result["error"]
    # the same good row scores the same wherever it sits in a batch
    alone = _score(endpoint, [good[2]]).json()["Results"][0]["score"]
    assert alone == pytest.approx(results[6]["score"])


@pytest.mark.parametrize(
    "body", ["[1, 2]", '{"Inputs": 3}', '{"Inputs": {"rows": []}}', '{"something": 1}', "not json"]
)
def test_body_that_is_not_a_batch_is_400(endpoint, body):
    headers = {**endpoint.headers(), "Content-Type": "application/json"}
    answer = httpx.post(f"{endpoint.url}/score", content=body, headers=headers, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["message"]


def test_key_is_required(endpoint):
    assert httpx.post(f"{endpoint.url}/score", json=request_body([]), timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer not-the-key"}
    assert httpx.get(f"{endpoint.url}/swagger.json", headers=wrong, timeout=30).status_code == 401


def test_a_deployment_port_checks_the_same_key(endpoint, local_environment):
    """The router's key check cannot be bypassed by calling a deployment's own port."""
    port = endpoint.routes().deployments[endpoint.serving()].port
    body = request_body(stream_batch(local_environment.data_schema(), 2, seed=3))
    direct = f"http://127.0.0.1:{port}/score"
    assert httpx.post(direct, json=body, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer wrong"}
    assert httpx.post(direct, json=body, headers=wrong, timeout=30).status_code == 401
    assert httpx.get(f"http://127.0.0.1:{port}/swagger.json", timeout=30).status_code == 401
    assert httpx.post(direct, json=body, headers=endpoint.headers(), timeout=30).status_code == 200


def test_an_oversized_body_is_refused_with_413_before_it_is_read(endpoint):
    status = status_before_body(endpoint.port, "/score", 50 * 1024 * 1024, endpoint.headers())
    assert status == 413


def test_swagger_describes_the_stream_analytics_input_and_output(endpoint, local_environment):
    swagger = httpx.get(f"{endpoint.url}/swagger.json", headers=endpoint.headers(), timeout=30).json()
    service_input = swagger["definitions"]["ServiceInput"]["properties"]["Inputs"]
    record = service_input["properties"]["data"]["items"]
    schema = local_environment.data_schema()
    assert service_input["properties"]["data"]["type"] == "array"
    assert set(schema.feature_names) <= set(record["properties"])
    types = {
        "float": "number",
        "integer": "integer",
        "count": "integer",
        "boolean": "boolean",
        "category": "string",
    }
    for feature in schema.features:
        assert record["properties"][feature.name]["type"] == types[feature.type]
    output = swagger["definitions"]["ServiceOutput"]["properties"]["Results"]["items"]["properties"]
    assert {"score", "error", "model_version"} <= set(output)


def test_manifest_names_the_serving_deployment(endpoint):
    manifest = read_endpoint_manifest(endpoint.manifest_path)
    assert manifest.healthy and manifest.deployment == endpoint.serving()
    assert manifest.scoring_uri == f"{endpoint.url}/score" and manifest.key_env == "ML_ENDPOINT_KEY"
    assert endpoint.key() not in json.dumps(manifest.to_json())


def _broken_model(model_dir: Path, folder: Path) -> Path:
    """A copy of the model whose schema forgets a feature: the deployment starts, then fails every batch."""
    broken = shutil.copytree(model_dir, folder / "broken-model")
    schema = json.loads((broken / "data_schema.json").read_text())
    schema["features"] = schema["features"][1:]
    (broken / "data_schema.json").write_text(json.dumps(schema))
    return broken


def test_failed_smoke_test_leaves_the_old_deployment_serving(
    endpoint, local_environment, scoring_model_dir, tmp_path
):
    before = endpoint.serving()
    smoke = smoke_batch(local_environment.data_schema(), local_environment.endpoint.smoke_batch_size)
    broken = ModelRef(
        "card-fraud", "99", "models:/card-fraud/99", str(_broken_model(scoring_model_dir, tmp_path))
    )

    with pytest.raises(SmokeTestError):
        rollout(endpoint, broken, smoke)

    assert endpoint.serving() == before
    assert set(endpoint.routes().deployments) == {before}
    answer = _score(endpoint, stream_batch(local_environment.data_schema(), 3, seed=5))
    assert answer.status_code == 200
    assert {r["model_version"] for r in answer.json()["Results"]} == {"1"}
    assert read_endpoint_manifest(endpoint.manifest_path).deployment == before


def test_rollout_swaps_the_deployment_without_failing_requests_in_flight(
    endpoint, local_environment, scoring_model_dir
):
    schema = local_environment.data_schema()
    rows = stream_batch(schema, 20, seed=3)
    before = endpoint.serving()
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(headers=endpoint.headers(), timeout=30) as client:
            while not stop.is_set():
                answer = client.post(f"{endpoint.url}/score", json=request_body(rows))
                statuses.append(answer.status_code)
                if answer.status_code == 200:
                    versions.update(r["model_version"] for r in answer.json()["Results"])

    worker = threading.Thread(target=load)
    worker.start()
    try:
        # requests are in flight on the old deployment before the rollout starts ...
        wait_until(lambda: "1" in versions, 60, "requests answered by the serving deployment")
        smoke = smoke_batch(schema, local_environment.endpoint.smoke_batch_size)
        result = rollout(
            endpoint, ModelRef("card-fraud", "2", "models:/card-fraud/2", str(scoring_model_dir)), smoke
        )
        answer_version = _score(endpoint, rows[:1]).json()["Results"][0]["model_version"]
        # ... and the same stream of requests reaches the new one after it, none failing on the way
        wait_until(lambda: "2" in versions, 60, "requests answered by the new deployment")
    finally:
        stop.set()
        worker.join(timeout=60)

    assert result.previous == before and result.deployment != before
    assert endpoint.serving() == result.deployment
    assert set(endpoint.routes().deployments) == {result.deployment}
    assert answer_version == "2"
    assert statuses and set(statuses) == {200}
    assert versions == {"1", "2"}
