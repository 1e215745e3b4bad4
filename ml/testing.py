"""Test support for the ml domain (and other domains' tests): a tiny trained model, request batches, a
local endpoint with a model rolled out.

Registered as a pytest plugin in the root `conftest.py`, so `scoring_model_dir` is available everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from environments.data_schema import DataSchema
from environments.loader import load_environment
from environments.model import Environment
from environments.standins import free_port

if TYPE_CHECKING:
    from ml.serving.local_endpoint import LocalEndpoint
from ml.serving.traffic_history import ROLE_NAME, TelemetryTrafficLog

TINY_TRAINING_ROWS = 3000
TINY_SEED = 7


def tiny_model_dir(
    folder: Path, schema: DataSchema, rows: int = TINY_TRAINING_ROWS, seed: int = TINY_SEED
) -> Path:
    """Train the project's model on a few generated rows and save it as an MLflow model folder, its
    training baseline with it (as a training run leaves it)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from ml.data.generator import generate
    from ml.training.model import save, train

    frame = generate(schema, rows, seed)
    pipeline = train(frame, schema, seed)
    return save(pipeline, folder / "model", schema, {"roc_auc": 0.0}, baseline=frame)


def bad_rows(schema: DataSchema, good: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str]]:
    """One broken copy of a good record per failure kind, with the field its error must name."""
    numeric = next(f for f in schema.features if f.is_numeric)
    category = next(f for f in schema.features if f.type == "category")
    boolean = next(f for f in schema.features if f.type == "boolean")
    missing = dict(good)
    del missing[numeric.name]
    return {
        "missing": (missing, numeric.name),
        "wrong_type": ({**good, numeric.name: "12.5"}, numeric.name),
        "nan": ({**good, numeric.name: float("nan")}, numeric.name),
        "unknown_category": ({**good, category.name: "no-such-category"}, category.name),
        "out_of_range": ({**good, numeric.name: (numeric.max or 0) + 1}, numeric.name),
        "bad_boolean": ({**good, boolean.name: "yes"}, boolean.name),
    }


@pytest.fixture(scope="session")
def local_environment():
    """The `local` environment model."""
    return load_environment("local")


@pytest.fixture(scope="session")
def scoring_model_dir(tmp_path_factory: pytest.TempPathFactory, local_environment) -> Path:
    """An MLflow model folder with `data_schema.json`, trained once per test session."""
    return tiny_model_dir(tmp_path_factory.mktemp("ml-model"), local_environment.data_schema())


@contextmanager
def rolled_out_endpoint(environment: Environment, state: Path, model_dir: Path) -> Iterator[LocalEndpoint]:
    """A local endpoint (its router on a free port, its state in `state`) with `model_dir` rolled out as
    version 1 after the environment's smoke batch; the router and every deployment are stopped on exit."""
    # Imported here: this plugin is loaded for every test, most of which never serve a model.
    from ml.serving.local_endpoint import LocalEndpoint
    from ml.serving.manifests import ModelRef
    from ml.serving.rollout import rollout
    from ml.serving.smoke import smoke_batch

    endpoint = LocalEndpoint(environment, state, free_port())
    router = endpoint.start_router()
    try:
        smoke = smoke_batch(environment.data_schema(), environment.endpoint.smoke_batch_size)
        rollout(endpoint, ModelRef("card-fraud", "1", "models:/card-fraud/1", str(model_dir)), smoke)
        yield endpoint
    finally:
        endpoint.stop_all()
        router.stop()


@pytest.fixture(scope="session")
def card_schema(local_environment) -> DataSchema:
    """The local environment's data schema (card transactions by default)."""
    return local_environment.data_schema()


def render_ml(env_name: str, out: Path) -> Path:
    """Render only the ml domain's templates for `env_name` into `out/ml`.

    Keeps ml tests independent of other domains' templates while they change.
    """
    from environments.render import render_environment

    render_environment(env_name, out=out, domains=("ml",))
    return out / "ml"


@pytest.fixture(scope="session")
def rendered_ml(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The ml templates of every environment, rendered once per session: name -> `<out>/ml`."""
    return {
        name: render_ml(name, tmp_path_factory.mktemp(f"ml-render-{name}"))
        for name in ("local", "dev", "staging", "prod")
    }


class InMemoryTarget:
    """A DeploymentTarget without processes: deployments are dicts, `invoke` answers with `answer(name, body)`.

    For tests of the rollout flow; `events` records every call in order.
    """

    def __init__(self, answer, serving: str | None = None, version: str = "1") -> None:
        self.answer = answer
        self.traffic: dict[str, int] = {serving: 100} if serving else {}
        self.models: dict[str, Any] = {serving: version} if serving else {}
        self.events: list[tuple[str, str]] = []

    def serving(self) -> str | None:
        live = [name for name, share in self.traffic.items() if share > 0]
        return live[0] if live else None

    def create(self, name: str, model: Any) -> None:
        self.events.append(("create", name))
        self.models[name] = model
        self.traffic[name] = 0

    def invoke(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        self.events.append(("invoke", name))
        return self.answer(name, body)

    def shift(self, name: str) -> None:
        self.events.append(("shift", name))
        self.traffic = {deployment: (100 if deployment == name else 0) for deployment in self.traffic}

    def delete(self, name: str) -> None:
        self.events.append(("delete", name))
        self.models.pop(name, None)
        self.traffic.pop(name, None)


class FaultyModel:
    """A trained pipeline that fails every `fail_every`-th `predict_proba` call and/or sleeps first.

    Saved by value (cloudpickle) into a copy of a model folder, so a real deployment serves it: the
    rollout tests' candidates that error on a share of requests or answer slower than the old model.
    """

    def __init__(self, inner: Any, fail_every: int = 0, delay_s: float = 0.0) -> None:
        self.inner = inner
        self.fail_every = fail_every
        self.delay_s = delay_s
        self.calls = 0

    def predict_proba(self, features: Any) -> Any:
        import time

        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.fail_every and self.calls % self.fail_every == 0:
            raise RuntimeError(f"FaultyModel: call {self.calls} fails on purpose")
        return self.inner.predict_proba(features)


def faulty_model_dir(model_dir: Path, folder: Path, fail_every: int = 0, delay_s: float = 0.0) -> Path:
    """A copy of the MLflow model folder whose model is `FaultyModel` around the original pipeline."""
    import shutil
    import sys

    import cloudpickle

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow.sklearn

    copy = shutil.copytree(model_dir, folder)
    inner = mlflow.sklearn.load_model(str(model_dir))
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with open(copy / "model.pkl", "wb") as handle:
            cloudpickle.dump(FaultyModel(inner, fail_every, delay_s), handle)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    return copy


def collector_traffic_log(connection_string: str) -> TelemetryTrafficLog:
    """A traffic history (`ml.serving.traffic_history`) sent to one local collector through the inference
    log's own exporter, without configuring this process's global telemetry: a test process starts many
    collectors, and the first `configure_telemetry` would keep sending to one long stopped. The exporter's
    self-telemetry (statsbeat) stays off, as `configure_telemetry` does for a loopback collector."""
    from opentelemetry.sdk.resources import Resource

    from monitoring.telemetry import Telemetry
    from monitoring.telemetry.azure_sink import AzureMonitorSink
    from monitoring.telemetry.configure import STATSBEAT_DISABLED_VAR

    os.environ.setdefault(STATSBEAT_DISABLED_VAR, "true")
    sink = AzureMonitorSink(Resource.create({"service.name": ROLE_NAME}), connection_string, None)
    return TelemetryTrafficLog(telemetry=Telemetry(ROLE_NAME, sink))


def deployment_scorer(model_dir: Path) -> Any:
    """The scoring of score.py as a function of (deployment resource, request body) -> (status, answer),
    for a simulated endpoint's data plane (`environments.azure_sim.SimulatedAzure.serve`): the model in
    `model_dir`, the model version and deployment from the deployment's environment variables, as a
    managed online deployment runs score.py."""
    import json as _json

    from ml.scoring.errors import BadRequestError
    from ml.scoring.feature_schema import load_scoring_schema
    from ml.scoring.model_folder import load_model
    from ml.scoring.request_body import parse_batch
    from ml.scoring.scorer import Scorer
    from ml.scoring.settings import ScoringSettings

    model, schema = load_model(model_dir), load_scoring_schema(model_dir)

    def score(deployment: dict[str, Any], body: Any) -> tuple[int, Any]:
        variables = deployment["properties"].get("environmentVariables") or {}
        scorer = Scorer(model, schema, ScoringSettings.from_environ(variables).model_version)
        try:
            batch = parse_batch(_json.dumps(body).encode())
        except BadRequestError as exc:
            return exc.status, {"message": str(exc)}
        return 200, scorer.results(scorer.score(batch.rows))

    return score
