"""Scoring throughput and latency through azmlinfsrv (one worker) against in-process scoring.

For batches of 1, 100, 1000 and 10000 rows: rows per second and p50/p99 request latency of
`POST /score` on a real azmlinfsrv running score.py (telemetry off, loopback, one worker, a fresh
connection per request as gunicorn's sync worker closes it), and the same figures for the same model
in process doing JSON decode + predict + JSON encode of the same response. Goal (issue 3): at batch
1000 the server reaches at least 50% of the in-process rows per second. Bounded by a time budget per
measurement, so the whole run takes about a minute plus the server's start.
"""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import time
from collections.abc import Callable
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
from ml.training.model import load, save, score, train

BATCH_SIZES = (1, 100, 1000, 10000)
GOAL_BATCH = 1000
GOAL_RATIO = 0.5
TRAINING_ROWS = 20_000
MODEL_VERSION = "bench"
SERVER_BUDGET_S = 6.0
IN_PROCESS_BUDGET_S = 3.0
MAX_REPEATS = 5000
MIN_REPEATS = 5


def _timed(call: Callable[[], Any], budget_s: float) -> list[float]:
    """Latencies (seconds) of repeated calls until the budget is spent (at least MIN_REPEATS)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(latencies) < MAX_REPEATS and (len(latencies) < MIN_REPEATS or time.perf_counter() < deadline):
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
    return latencies


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


def _post(port: int, body: bytes) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", "/score", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST /score: HTTP {response.status}: {data[:200]!r}")
    finally:
        connection.close()


def run_bench(
    env: Environment, work: Path | None = None, sizes: tuple[int, ...] = BATCH_SIZES
) -> list[dict[str, Any]]:
    """Train a model, start azmlinfsrv on it, measure both paths for every batch size."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.pop("APPLICATIONINSIGHTS_CONNECTION_STRING", None)  # measure scoring, not the exporter
    schema = env.data_schema()
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

    baseline = {
        n: summarize(_timed(lambda b=bodies[n]: in_process(b), IN_PROCESS_BUDGET_S), n) for n in sizes
    }
    reference = pd.DataFrame(rows[:GOAL_BATCH])
    predict_only = summarize(
        _timed(lambda: score(pipeline, reference, schema), IN_PROCESS_BUDGET_S), GOAL_BATCH
    )
    server = start_inference_server(
        "bench",
        stage_code(work / "code"),
        model_dir,
        ScoringSettings(env.model.name, MODEL_VERSION, "bench"),
        free_port(),
        work / "azmlinfsrv.log",
    )
    try:
        for body in bodies.values():
            _post(server.port, body)  # warm-up: first calls pay for lazy imports
        measured = {
            n: summarize(_timed(lambda b=bodies[n]: _post(server.port, b), SERVER_BUDGET_S), n) for n in sizes
        }
    finally:
        server.stop()
    params = {
        "workers": 1,
        "telemetry": "off",
        "model": "logistic regression pipeline",
        "training_rows": TRAINING_ROWS,
        "cpus": os.cpu_count(),
    }
    return [*bench_records(measured, baseline, params), predict_only_record(predict_only, params)]


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
