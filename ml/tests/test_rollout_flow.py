"""The rollout steps and the smoke check as pure logic, on an in-memory target."""

from __future__ import annotations

import pytest

from environments.endpoint_deployments import next_deployment
from ml.serving.errors import SmokeTestError
from ml.serving.manifests import ModelRef
from ml.serving.rollout import rollout
from ml.serving.routes import RoutedDeployment, Routes
from ml.serving.smoke import SmokeBatch, check_smoke, smoke_batch
from ml.testing import InMemoryTarget

MODEL = ModelRef("card-fraud", "2", "models:/card-fraud/2")


@pytest.fixture(scope="module")
def smoke(local_environment) -> SmokeBatch:
    return smoke_batch(local_environment.data_schema(), local_environment.endpoint.smoke_batch_size)


def _good_answer(smoke: SmokeBatch, version: str = "2"):
    def answer(name, body):
        results = [{"score": 0.25, "error": None, "model_version": version} for _ in body["Inputs"]["data"]]
        results[smoke.bad_index] = {
            "score": None,
            "error": f"{smoke.bad_field}: missing",
            "model_version": version,
        }
        return 200, {"Results": results}

    return answer


def test_smoke_batch_has_one_row_missing_a_feature(smoke, local_environment):
    rows = smoke.body["Inputs"]["data"]
    assert len(rows) == local_environment.endpoint.smoke_batch_size
    assert [smoke.bad_field in row for row in rows].count(False) == 1
    assert smoke.bad_field not in rows[smoke.bad_index]


def test_good_rollout_creates_tests_shifts_then_removes_the_old(smoke):
    target = InMemoryTarget(_good_answer(smoke), serving="blue")
    result = rollout(target, MODEL, smoke)
    assert target.events == [("create", "green"), ("invoke", "green"), ("shift", "green"), ("delete", "blue")]
    assert result.deployment == "green" and result.previous == "blue" and target.serving() == "green"


def test_first_rollout_has_nothing_to_remove(smoke):
    target = InMemoryTarget(_good_answer(smoke))
    assert rollout(target, MODEL, smoke).deployment == "blue"
    assert ("delete", "blue") not in target.events and target.serving() == "blue"


@pytest.mark.parametrize(
    "answer",
    [
        lambda name, body: (500, "boom"),
        lambda name, body: (400, {"message": "bad"}),
        lambda name, body: (200, {"Results": []}),
        lambda name, body: (200, {"Results": [{"score": 0.5, "error": None, "model_version": "2"}] * 16}),
    ],
    ids=["server-error", "bad-request", "missing-rows", "bad-row-not-flagged"],
)
def test_failed_smoke_test_removes_the_new_deployment_and_keeps_the_old(answer, smoke):
    target = InMemoryTarget(answer, serving="green")
    with pytest.raises(SmokeTestError):
        rollout(target, MODEL, smoke)
    assert target.events == [("create", "blue"), ("invoke", "blue"), ("delete", "blue")]
    assert target.serving() == "green" and set(target.models) == {"green"}


def test_smoke_check_requires_the_new_model_version(smoke):
    status, answer = _good_answer(smoke, version="1")("blue", smoke.body)
    with pytest.raises(SmokeTestError, match="model_version"):
        check_smoke(smoke, status, answer, "2")


def test_blue_green_alternate():
    assert next_deployment(None) == "blue"
    assert next_deployment("blue") == "green" and next_deployment("green") == "blue"


def test_routes_split_traffic_and_honour_the_deployment_header():
    routes = Routes().with_deployment("blue", RoutedDeployment(1, 1, "m", "1"))
    routes = routes.with_deployment("green", RoutedDeployment(2, 2, "m", "2")).with_traffic(
        {"blue": 90, "green": 10}
    )
    assert routes.choose(None, draw=0.5) == "blue" and routes.choose(None, draw=0.95) == "green"
    assert routes.choose("green", draw=0.0) == "green" and routes.choose("red") is None
    assert routes.serving() == "blue"
    with pytest.raises(Exception, match="still takes"):
        routes.without("green")
    assert set(routes.with_traffic({"green": 100}).without("blue").deployments) == {"green"}
