"""Progressive rollout on the local endpoint: real router and azmlinfsrv deployments under live traffic.

Candidates are the test model wrapped to fail a share of calls or to answer slower
(`ml.testing.faulty_model_dir`); the old deployment answers in ~50 ms so that latency is comparable.
Live traffic runs during every rollout, one request at a time (each deployment is one gunicorn worker:
concurrent requests would queue on the old deployment, which takes most of them, and hide a slower
candidate); no live request may fail.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from environments.standins import free_port, wait_until
from ml.cli.rollout import main as rollout_command
from ml.serving.batches import request_body, stream_batch
from ml.serving.errors import RolledBackError
from ml.serving.local_endpoint import LocalEndpoint
from ml.serving.manifests import ModelRef
from ml.serving.rollout import progressive_rollout, rollout
from ml.serving.routes import DEPLOYMENT_HEADER
from ml.serving.smoke import smoke_batch
from ml.testing import faulty_model_dir

pytestmark = pytest.mark.services  # the local endpoint: router and azmlinfsrv deployments

OLD_DELAY_S = 0.05


@dataclass
class Traffic:
    """Live requests sent while a rollout runs: status and answering deployment of each."""

    answers: Counter[tuple[int, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def deployments(self) -> set[str]:
        return {name for _, name in self.answers}


@contextmanager
def live_traffic(endpoint: LocalEndpoint, body: dict, senders: int = 1) -> Iterator[Traffic]:
    traffic = Traffic()
    stop = threading.Event()
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(headers=endpoint.headers(), timeout=30) as client:
            while not stop.is_set():
                try:
                    answer = client.post(f"{endpoint.url}/score", json=body)
                    key = (answer.status_code, answer.headers.get(DEPLOYMENT_HEADER, ""))
                except httpx.HTTPError as exc:
                    with lock:
                        traffic.failures.append(repr(exc))
                    continue
                with lock:
                    traffic.answers[key] += 1

    threads = [threading.Thread(target=send, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    try:
        yield traffic
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


@pytest.fixture(scope="module")
def models(tmp_path_factory, scoring_model_dir) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("candidates")
    return {
        "old": faulty_model_dir(scoring_model_dir, root / "old", delay_s=OLD_DELAY_S),
        "errors": faulty_model_dir(scoring_model_dir, root / "errors", fail_every=20, delay_s=OLD_DELAY_S),
        "slow": faulty_model_dir(scoring_model_dir, root / "slow", delay_s=4 * OLD_DELAY_S),
        "good": faulty_model_dir(scoring_model_dir, root / "good", delay_s=OLD_DELAY_S),
    }


def _ref(version: str, path: Path) -> ModelRef:
    return ModelRef("card-fraud", version, f"models:/card-fraud/{version}", str(path))


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory, local_environment, models) -> Iterator[LocalEndpoint]:
    state = tmp_path_factory.mktemp("progressive")
    endpoint = LocalEndpoint(local_environment, state / "ml", free_port())
    router = endpoint.start_router()
    try:
        rollout(endpoint, _ref("1", models["old"]), _smoke(local_environment))
        yield endpoint
    finally:
        endpoint.stop_all()
        router.stop()


def _smoke(env):
    return smoke_batch(env.data_schema(), env.endpoint.smoke_batch_size)


@pytest.fixture(scope="module")
def body(local_environment) -> dict:
    return request_body(stream_batch(local_environment.data_schema(), 5, seed=3))


def test_candidate_failing_5_percent_of_mirrored_requests_is_rolled_back_at_the_mirror_step(
    endpoint, local_environment, models, body
):
    old = endpoint.serving()
    with live_traffic(endpoint, body) as traffic, pytest.raises(RolledBackError) as rolled:
        progressive_rollout(
            endpoint, _ref("2", models["errors"]), _smoke(local_environment), local_environment.rollout
        )
    assert "mirror" in str(rolled.value) and "error rate" in str(rolled.value), rolled.value
    assert not traffic.failures and set(traffic.answers) == {(200, old)}, traffic.answers
    assert endpoint.serving() == old and endpoint.deployment_names() == [old]


def test_candidate_with_over_twice_the_p99_latency_is_rolled_back_at_the_first_shift(
    endpoint, local_environment, models, body
):
    old = endpoint.serving()
    with live_traffic(endpoint, body) as traffic, pytest.raises(RolledBackError) as rolled:
        progressive_rollout(
            endpoint, _ref("3", models["slow"]), _smoke(local_environment), local_environment.rollout
        )
    first_shift = f"shift {local_environment.rollout.shift_percents[0]}%"
    assert first_shift in str(rolled.value) and "p99 latency" in str(rolled.value), rolled.value
    assert not traffic.failures and {status for status, _ in traffic.answers} == {200}, traffic.answers
    assert endpoint.serving() == old and endpoint.deployment_names() == [old]


def test_good_candidate_reaches_100_percent_and_the_old_one_goes_after_the_bake(
    endpoint, local_environment, models, body
):
    old = endpoint.serving()
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = progressive_rollout(
                endpoint, _ref("4", models["good"]), _smoke(local_environment), local_environment.rollout
            )
        except Exception as exc:  # reported below
            outcome["error"] = exc

    with live_traffic(endpoint, body) as traffic:
        thread = threading.Thread(target=run)
        thread.start()
        # the bake period: the new deployment takes all traffic, the old one still exists
        wait_until(
            lambda: (
                "error" in outcome
                or (endpoint.serving() not in (None, old) and old in endpoint.deployment_names())
            ),
            timeout_s=300,
            what="the new deployment at 100% with the old one kept",
        )
        thread.join(timeout=300)
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert result.previous == old and len(result.steps) == 1 + len(local_environment.rollout.shift_percents)
    assert endpoint.serving() == result.deployment and endpoint.deployment_names() == [result.deployment]
    assert not traffic.failures and {status for status, _ in traffic.answers} == {200}, traffic.answers
    assert traffic.deployments() == {old, result.deployment}


def test_rollback_during_the_bake_period_restores_the_old_deployment(
    endpoint, local_environment, models, body
):
    old = endpoint.serving()
    outcome: dict = {}
    baking = threading.Event()

    def run() -> None:
        try:
            progressive_rollout(
                endpoint,
                _ref("5", models["good"]),
                _smoke(local_environment),
                local_environment.rollout,
                progress=lambda step: step == "bake" and baking.set(),
            )
        except Exception as exc:
            outcome["error"] = exc

    with live_traffic(endpoint, body) as traffic:
        thread = threading.Thread(target=run)
        thread.start()
        wait_until(lambda: baking.is_set() or not thread.is_alive(), timeout_s=300, what="the bake period")
        assert baking.is_set(), outcome.get("error")
        state = endpoint.state.parent
        assert (
            rollout_command(["rollback", "local", "--port", str(endpoint.port), "--state-dir", str(state)])
            == 0
        )
        thread.join(timeout=300)
    assert isinstance(outcome.get("error"), RolledBackError) and "bake period" in str(outcome["error"])
    assert endpoint.serving() == old and endpoint.routes().traffic[old] == 100
    assert old in endpoint.deployment_names()
    assert not traffic.failures and {status for status, _ in traffic.answers} == {200}, traffic.answers
    after = httpx.post(f"{endpoint.url}/score", json=body, headers=endpoint.headers(), timeout=30)
    assert after.status_code == 200 and after.headers[DEPLOYMENT_HEADER] == old
