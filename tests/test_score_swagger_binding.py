"""The Stream Analytics function binding that streaming renders matches the swagger that ML's own
score.py publishes on the real azmlinfsrv (the ASA -> endpoint contract, checked across the domains)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from environments.loader import load_environment
from environments.render import render_environment
from environments.standins import free_port
from ml.scoring.settings import ScoringSettings
from ml.serving.code_folder import stage_code
from ml.serving.inference_server import InferenceServer, start_inference_server
from streaming.swagger_binding import binding_from_swagger

pytestmark = pytest.mark.services  # score.py on the real azmlinfsrv


@pytest.fixture(scope="module")
def score_server(
    tmp_path_factory: pytest.TempPathFactory, scoring_model_dir: Path
) -> Iterator[InferenceServer]:
    folder = tmp_path_factory.mktemp("score-swagger")
    server = start_inference_server(
        "blue",
        stage_code(folder / "code"),
        scoring_model_dir,
        ScoringSettings("card-fraud", "1", "blue"),
        free_port(),
        folder / "azmlinfsrv.log",
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def swagger(score_server: InferenceServer) -> dict[str, Any]:
    response = httpx.get(f"{score_server.base_url}/swagger.json", timeout=30)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def job_binding(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("dev")
    render_environment("dev", out=out, domains=("streaming",))
    template = json.loads((out / "streaming" / "arm" / "stream-job.json").read_text())
    job = next(r for r in template["resources"] if r["type"] == "Microsoft.StreamAnalytics/streamingjobs")
    return job["properties"]["functions"][0]["properties"]["properties"]["binding"]["properties"]


def test_rendered_binding_matches_score_py_swagger(
    swagger: dict[str, Any], job_binding: dict[str, Any]
) -> None:
    expected = binding_from_swagger(swagger)
    for key in ("inputRequestName", "outputResponseName", "inputs", "outputs"):
        assert job_binding[key] == expected[key], key
    env = load_environment("dev")
    assert job_binding["batchSize"] == env.stream_analytics.function_batch_size
    assert job_binding["numberOfParallelRequests"] == env.stream_analytics.function_parallel_requests


def test_score_py_swagger_row_is_the_data_contract(swagger: dict[str, Any]) -> None:
    schema = load_environment("dev").data_schema()
    assert set(binding_from_swagger(swagger)["rowFields"]) >= set(schema.feature_names)
