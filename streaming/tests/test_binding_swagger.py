"""The rendered Azure ML function binding matches the swagger that score.py publishes.

Stream Analytics builds its requests from that swagger: the body key (`inputRequestName`), the input
column names, the reply key (`outputResponseName`). The swagger comes from the real azmlinfsrv serving
`streaming/tests/fixtures/score.py`, a script with the contract's shape (docs/contracts.md) for the local
environment's data schema.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from environments.loader import load_environment
from environments.render import render_environment
from streaming import aliases
from streaming.producer.events import EventGenerator
from streaming.querytest.standin import stand_in_score
from streaming.swagger_binding import binding_from_swagger
from streaming.testing import ScoringServer


@pytest.fixture(scope="module")
def swagger(scoring_server: ScoringServer) -> dict[str, Any]:
    response = httpx.get(scoring_server.swagger_uri, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folders = {}
    for name in ("local", "dev"):
        out = tmp_path_factory.mktemp(f"binding-{name}")
        render_environment(name, out=out)
        folders[name] = out / "streaming"
    return folders


def test_arm_binding_matches_the_swagger(swagger: dict[str, Any], rendered: dict[str, Path]) -> None:
    expected = binding_from_swagger(swagger)
    template = json.loads((rendered["dev"] / "arm" / "stream-job.json").read_text(encoding="utf-8"))
    function = template["resources"][0]["properties"]["functions"][0]
    assert function["name"] == aliases.FUNCTION_SCORE
    binding = function["properties"]["properties"]["binding"]["properties"]
    parameters = json.loads(
        (rendered["dev"] / "arm" / "stream-job.parameters.json").read_text(encoding="utf-8")
    )
    assert urlparse(parameters["parameters"]["scoringEndpoint"]["value"]).path == expected["path"]
    for key in ("inputRequestName", "outputResponseName", "inputs", "outputs"):
        assert binding[key] == expected[key], key
    assert 1 <= binding["batchSize"] <= 10000


def test_project_binding_matches_the_swagger(swagger: dict[str, Any], rendered: dict[str, Path]) -> None:
    expected = binding_from_swagger(swagger)
    binding = json.loads(
        (rendered["local"] / "asa" / "Functions" / "score.json").read_text(encoding="utf-8")
    )["Binding"]
    assert urlparse(binding["Endpoint"]).path == expected["path"]
    assert binding["InputRequestName"] == expected["inputRequestName"]
    assert binding["OutputResponseName"] == expected["outputResponseName"]
    assert [{k[0].lower() + k[1:]: v for k, v in c.items()} for c in binding["Inputs"]] == expected["inputs"]
    assert [{k[0].lower() + k[1:]: v for k, v in c.items()} for c in binding["Outputs"]] == expected[
        "outputs"
    ]


def test_the_swagger_row_is_the_data_contract(swagger: dict[str, Any]) -> None:
    schema = load_environment("local").data_schema()
    assert binding_from_swagger(swagger)["rowFields"] == sorted([*schema.feature_names, schema.id_column])


def test_the_server_answers_in_the_binding_shape(scoring_server: ScoringServer) -> None:
    schema = load_environment("local").data_schema()
    event = EventGenerator(schema, seed=3).event(datetime.now(UTC))
    row = {name: event[name] for name in (schema.id_column, *schema.feature_names)}
    first = schema.features[0].name
    reply = httpx.post(
        scoring_server.scoring_uri, json={"Inputs": {"data": [row, {**row, first: None}]}}, timeout=10
    )
    assert reply.status_code == 200
    results = reply.json()["Results"]
    assert results[0] == stand_in_score(row), "the query tests' stand-in formula, over HTTP"
    assert results[1]["score"] is None
    assert results[1]["error"].startswith(first)
