"""Scoring throughput and latency through azmlinfsrv (one worker) against in-process scoring.

For batches of 1, 100, 1000 and 10000 rows: rows per second and p50/p99 request latency of
`POST /score` on a real azmlinfsrv running score.py (telemetry off, loopback, one worker, a fresh
connection per request as gunicorn's sync worker closes it), and the same figures for the same model
in process doing JSON decode + predict + JSON encode of the same response. Goal (issue 3): at batch
1000 the server reaches at least 50% of the in-process rows per second. Also reported: batch 1000
through the local endpoint router, and the model alone on a prepared DataFrame. Bounded by a time budget per
measurement, so the whole run takes about a minute plus the server's start.
"""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from environments.model import Environment
from environments.standins import free_port
from ml.data.generator import generate
from ml.scoring.settings import ScoringSettings
from ml.serving.batches import records, request_body
from ml.serving.code_folder import stage_code
from ml.serving.inference_server import start_inference_server
from ml.serving.local_endpoint import LocalEndpoint
from ml.serving.routes import RoutedDeployment, Routes, save_routes
from ml.training.model import load, save, score, train

BATCH_SIZES = (1, 100, 1000, 10000)
GOAL_BATCH = 1000
GOAL_RATIO = 0.5
TRAINING_ROWS = 20_000
MODEL_VERSION = "bench"
PAIR_BUDGET_S = 8.0
MAX_REPEATS = 5000
MIN_REPEATS = 5


def _timed_pair(
    first: Callable[[], Any], second: Callable[[], Any], budget_s: float
) -> tuple[list[float], list[float]]:
    """Latencies (seconds) of two calls made in turn until the budget is spent (at least MIN_REPEATS each).

    Alternating means both sides see the same machine load, which on a shared machine drifts within seconds.
    """
    latencies: tuple[list[float], list[float]] = ([], [])
    deadline = time.perf_counter() + budget_s
    while len(latencies[0]) < MAX_REPEATS and (
        len(latencies[0]) < MIN_REPEATS or time.perf_counter() < deadline
    ):
        for call, out in ((first, latencies[0]), (second, latencies[1])):
            started = time.perf_counter()
            call()
            out.append(time.perf_counter() - started)
    return latencies


def _timed(call: Callable[[], Any], budget_s: float) -> list[float]:
    """Latencies (seconds) of one call repeated until the budget is spent."""
    return _timed_pair(call, lambda: None, budget_s)[0]


def summarize(latencies: list[float], batch: int) -> dict[str, float]:
    """Rows per second (rows over total time) and p50/p99 latency in milliseconds."""
    values = np.asarray(latencies)
    return {
        "rows_per_s": batch * len(values) / float(values.sum()),
        "p50_ms": float(np.percentile(values, 50) * 1000),
        "p99_ms": float(np.percentile(values, 99) * 1000),
        "requests": len(values),
    }


def bench_records(
    server: dict[int, dict[str, float]], in_process: dict[int, dict[str, float]], params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The DESIGN.md benchmark records: value = server, baseline = in-process, same run."""
    out = []
    for batch in sorted(server):
        for metric, unit in (("rows_per_s", "rows/s"), ("p50_ms", "ms"), ("p99_ms", "ms")):
            value = round(server[batch][metric], 3)
            baseline = round(in_process[batch][metric], 3)
            ratio = value / baseline if baseline else None
            if metric == "rows_per_s" and batch == GOAL_BATCH:
                goal, met = (
                    f">= {GOAL_RATIO} x in-process rows/s at batch {GOAL_BATCH}",
                    ratio is not None and ratio >= GOAL_RATIO,
                )
            else:
                goal, met = "reported (no goal at this batch size or metric)", True
            out.append(
                {
                    "name": f"score_{metric}_batch_{batch}",
                    "value": value,
                    "unit": unit,
                    "baseline": baseline,
                    "ratio": ratio,
                    "goal": goal,
                    "met": met,
                    "params": {
                        **params,
                        "batch_rows": batch,
                        "server_requests": server[batch]["requests"],
                        "in_process_requests": in_process[batch]["requests"],
                    },
                }
            )
    return out


def _post(port: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(
            "POST", "/score", body=body, headers={"Content-Type": "application/json", **(headers or {})}
        )
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST /score: HTTP {response.status}: {data[:200]!r}")
    finally:
        connection.close()


def run_bench(
    env: Environment,
    work: Path | None = None,
    sizes: tuple[int, ...] = BATCH_SIZES,
    report: Callable[[str], Any] = lambda _: None,
) -> list[dict[str, Any]]:
    """Train a model, start azmlinfsrv on it, measure both paths for every batch size."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.pop("APPLICATIONINSIGHTS_CONNECTION_STRING", None)  # measure scoring, not the exporter
    schema = env.data_schema()
    report(f"training the model on {TRAINING_ROWS} generated rows")
    work = work or Path(tempfile.mkdtemp(prefix="ml-bench-"))
    model_dir = save(
        train(generate(schema, TRAINING_ROWS, env.data.seed), schema, env.data.seed),
        work / "model",
        schema,
        {},
    )
    pipeline = load(model_dir)
    rows = records(generate(schema, max(sizes), env.data.seed + 1), schema)
    bodies = {n: json.dumps(request_body(rows[:n])).encode() for n in sizes}

    def in_process(body: bytes) -> bytes:
        batch = json.loads(body)["Inputs"]["data"]
        scores = score(pipeline, pd.DataFrame(batch), schema)
        results = [{"score": s, "error": None, "model_version": MODEL_VERSION} for s in scores.tolist()]
        return json.dumps({"Results": results}).encode()

    report("starting azmlinfsrv (one worker)")
    server = start_inference_server(
        "bench",
        stage_code(work / "code"),
        model_dir,
        ScoringSettings(env.model.name, MODEL_VERSION, "bench"),
        free_port(),
        work / "azmlinfsrv.log",
    )
    measured: dict[int, dict[str, float]] = {}
    baseline: dict[int, dict[str, float]] = {}
    try:
        for body in bodies.values():
            _post(server.port, body)  # warm-up: first calls pay for lazy imports
            in_process(body)
        for n in sizes:
            report(f"batch {n}: azmlinfsrv and in-process in turn for {PAIR_BUDGET_S:g} s")
            body = bodies[n]
            over_http, local = _timed_pair(
                partial(_post, server.port, body), partial(in_process, body), PAIR_BUDGET_S
            )
            measured[n], baseline[n] = summarize(over_http, n), summarize(local, n)
        reference = pd.DataFrame(rows[:GOAL_BATCH])
        predict_only = _timed(lambda: score(pipeline, reference, schema), PAIR_BUDGET_S / 2)
        report(f"batch {GOAL_BATCH}: through the local endpoint router")
        routed = _through_router(env, work, server.port, bodies[GOAL_BATCH]) if GOAL_BATCH in sizes else None
    finally:
        server.stop()
    params = {
        "workers": 1,
        "telemetry": "off",
        "model": "logistic regression pipeline",
        "training_rows": TRAINING_ROWS,
        "cpus": os.cpu_count(),
    }
    out = [
        *bench_records(measured, baseline, params),
        predict_only_record(summarize(predict_only, GOAL_BATCH), params),
    ]
    if routed is not None:
        out.append(router_record(*routed, params))
    return out


def _through_router(
    env: Environment, work: Path, server_port: int, body: bytes
) -> tuple[dict[str, float], dict[str, float]]:
    """The same batch through the local endpoint's stable URL (key check + one more hop) and direct."""
    endpoint = LocalEndpoint(env, work / "state" / "ml", free_port())
    router = endpoint.start_router()
    try:
        routes = Routes().with_deployment(
            "bench", RoutedDeployment(server_port, 0, env.model.name, MODEL_VERSION)
        )
        save_routes(endpoint.routes_path, routes.with_traffic({"bench": 100}))
        headers = endpoint.headers()
        _post(endpoint.port, body, headers)
        routed, direct = _timed_pair(
            lambda: _post(endpoint.port, body, headers), lambda: _post(server_port, body), PAIR_BUDGET_S
        )
        return summarize(routed, GOAL_BATCH), summarize(direct, GOAL_BATCH)
    finally:
        router.stop()


def router_record(
    routed: dict[str, float], direct: dict[str, float], params: dict[str, Any]
) -> dict[str, Any]:
    """Rows per second through the local endpoint router, against azmlinfsrv called directly."""
    value, baseline = round(routed["rows_per_s"], 3), round(direct["rows_per_s"], 3)
    return {
        "name": f"local_endpoint_rows_per_s_batch_{GOAL_BATCH}",
        "value": value,
        "unit": "rows/s",
        "baseline": baseline,
        "ratio": value / baseline if baseline else None,
        "goal": "reported (cost of the local router; baseline is azmlinfsrv called directly)",
        "met": True,
        "params": {**params, "batch_rows": GOAL_BATCH, "requests": routed["requests"]},
    }


def predict_only_record(measured: dict[str, float], params: dict[str, Any]) -> dict[str, Any]:
    """For reference: the model's own speed on a ready DataFrame (no JSON), the ceiling of both paths."""
    return {
        "name": f"in_process_predict_only_rows_per_s_batch_{GOAL_BATCH}",
        "value": round(measured["rows_per_s"], 3),
        "unit": "rows/s",
        "baseline": None,
        "ratio": None,
        "goal": "reference (model predict_proba on a prepared DataFrame)",
        "met": True,
        "params": {**params, "batch_rows": GOAL_BATCH, "in_process_requests": measured["requests"]},
    }
