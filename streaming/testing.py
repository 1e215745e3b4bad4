"""Test support of the streaming domain, registered as a pytest plugin in the root `conftest.py`.

`scoring_server`: the real azmlinfsrv on 127.0.0.1 serving `streaming/tests/fixtures/score.py`, a small
scoring script with the contract's request and reply shape (docs/contracts.md, "Scoring endpoint") for
the local environment's data schema, scoring with the query tests' formula (`streaming.querytest.standin`).
`start_scoring_server` starts more (for tests that stop and restart the endpoint).
`read_topic`: the keys and JSON rows on a topic of the local broker, once at least `expected` are there.
`write_query_project`: a VS Code project (asaproj.json, query, JobConfig, testConfig.json and data
files) for `python -m streaming test`, from a query and rows written inline in a test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from confluent_kafka import Consumer

from environments.standins import Broker, wait_until
from streaming.bench.scoring_standin import STAND_IN_SCORE_SCRIPT, ScoringServer, start_scoring_server

__all__ = [
    "STAND_IN_SCORE_SCRIPT",
    "ScoringServer",
    "read_topic",
    "scoring_server",
    "start_scoring_server",
    "write_query_project",
]


@pytest.fixture(scope="session")
def scoring_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScoringServer]:
    """azmlinfsrv serving the stand-in score.py on a free loopback port, for the whole session."""
    server = start_scoring_server(STAND_IN_SCORE_SCRIPT, tmp_path_factory.mktemp("scoring"))
    yield server
    server.stop()


def read_topic(broker: Broker, topic: str, expected: int) -> list[tuple[bytes | None, dict[str, Any]]]:
    """(key, row) of every message on `topic` from its start, once at least `expected` have arrived."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": f"check-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
        }
    )
    consumer.subscribe([topic])
    rows: list[tuple[bytes | None, dict[str, Any]]] = []

    def read() -> bool:
        for message in consumer.consume(1000, timeout=0.5):
            if message.error() is None:
                rows.append(
                    (message.key(), json.loads(cast(bytes, message.value())))
                )  # always set by our producers
        return len(rows) >= expected

    try:
        wait_until(read, 60, f"{expected} messages on topic {topic}", interval_s=0)
    finally:
        consumer.close()
    return rows


def write_query_project(
    folder: Path,
    query: str,
    inputs: dict[str, list[dict[str, Any]]],
    expected: dict[str, list[dict[str, Any]]],
    job_config: dict[str, Any] | None = None,
    references: dict[str, list[dict[str, Any]]] | None = None,
) -> Path:
    """A one-case project in `folder`: input files (one JSON object per line, in the order given),
    reference data files and expected output files; returns the path of its asaproj.json."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "query.asaql").write_text(query, encoding="utf-8")
    config = {"ScriptType": "JobConfig", **(job_config or {})}
    (folder / "JobConfig.json").write_text(json.dumps(config), encoding="utf-8")
    project = {
        "name": "documented",
        "startFile": "query.asaql",
        "configurations": [{"filePath": "JobConfig.json", "subType": "JobConfig"}],
    }
    (folder / "asaproj.json").write_text(json.dumps(project), encoding="utf-8")
    test = folder / "test"
    test.mkdir(exist_ok=True)

    def lines(rows: list[dict[str, Any]]) -> str:
        return "".join(json.dumps(row) + "\n" for row in rows)

    for alias, rows in {**inputs, **(references or {})}.items():
        (test / f"in-{alias}.json").write_text(lines(rows), encoding="utf-8")
    for alias, rows in expected.items():
        (test / f"out-{alias}.json").write_text(lines(rows), encoding="utf-8")
    case = {
        "Name": "documented example",
        "Inputs": [
            {"InputAlias": alias, "Type": "Data Stream", "Format": "Json", "FilePath": f"in-{alias}.json"}
            for alias in inputs
        ]
        + [
            {"InputAlias": alias, "Type": "Reference Data", "Format": "Json", "FilePath": f"in-{alias}.json"}
            for alias in references or {}
        ],
        "ExpectedOutputs": [
            {"OutputAlias": alias, "FilePath": f"out-{alias}.json", "Required": True} for alias in expected
        ],
    }
    (test / "testConfig.json").write_text(json.dumps({"Script": "query.asaql", "TestCases": [case]}))
    return folder / "asaproj.json"


if TYPE_CHECKING:
    from collections.abc import Callable

    from streaming.engine import FunctionRequest, FunctionResponse


class InMemoryTransport:
    """A function `Transport` in memory: answers with `score(rows)`, or with scripted failures first.

    `failures` is a list of HTTP status codes (or `None` for a refused connection) returned, one per
    request, before the normal answers; every request body is kept in `requests` (decoded JSON).
    """

    def __init__(
        self,
        score: Callable[[list[dict]], list[dict]] | None = None,
        failures: list[int | None] | None = None,
        output_name: str = "Results",
    ) -> None:
        from streaming.querytest.standin import stand_in_score

        self.score = score or (lambda rows: [stand_in_score(row) for row in rows])
        self.failures = list(failures or [])
        self.output_name = output_name
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []

    def send(self, request: FunctionRequest) -> FunctionResponse:
        import json

        from streaming.engine import FunctionResponse, TransientTransportError

        body = json.loads(request.body)
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.failures:
            status = self.failures.pop(0)
            if status is None:
                raise TransientTransportError("connection refused (scripted)")
            return FunctionResponse(status, b'{"error": "scripted failure"}')
        rows = next(iter(next(iter(body.values())).values()))
        return FunctionResponse(200, json.dumps({self.output_name: self.score(rows)}).encode())


def recorded_sleeps() -> tuple[list[float], Callable[[float], None]]:
    """A `sleep` stand-in for back-off tests: returns (the delays asked for, the function to pass)."""
    delays: list[float] = []
    return delays, delays.append


def add_javascript_function(
    project_file: Path,
    name: str,
    source: str,
    output_type: str = "any",
    inputs: int = 1,
    kind: str = "Scalar",
) -> Path:
    """Add a JavaScript function to a project as the VS Code extension lays it out: `Functions/<name>.js`
    (the code) and `Functions/<name>.js.json` (Name, Type, FunctionInputs, OutputType), listed in
    asaproj.json with subType JSFunction. Returns the .js.json path."""
    folder = project_file.parent / "Functions"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.js").write_text(source, encoding="utf-8")
    config = {
        "Name": name,
        "Type": kind,
        "ScriptType": "JSFunction",
        "FunctionInputs": [{"DataType": "any", "IsConfigurationParameter": None}] * inputs,
        "OutputType": output_type,
    }
    path = folder / f"{name}.js.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    project = json.loads(project_file.read_text(encoding="utf-8"))
    project["configurations"].append({"filePath": f"Functions/{name}.js.json", "subType": "JSFunction"})
    project_file.write_text(json.dumps(project), encoding="utf-8")
    return path
