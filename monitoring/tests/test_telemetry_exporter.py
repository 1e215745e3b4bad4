"""The real Azure Monitor exporter, in a subprocess, sends to the real local collector."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from monitoring.testing import RunningCollector, run_sender

REPO = Path(__file__).resolve().parents[2]


def record(run: str, i: int, **changes) -> dict:
    return {
        "request_id": f"{run}-{i}",
        "time": f"2026-11-29T10:{i:02d}:00.000001Z",
        "model_name": "card-fraud",
        "model_version": "7",
        "deployment": "blue",
        "features": {"amount": 10.0 + i, "mcc": "5411", "is_online": i % 2 == 0},
        "score": i / 10,
        "error": None,
        "latency_ms": 1.5,
        **changes,
    }


def test_inference_records_and_metrics_arrive_in_the_collector(collector: RunningCollector) -> None:
    run = uuid.uuid4().hex[:8]
    records = [record(run, 0), record(run, 1, score=None, error="amount: missing"), {"request_id": "bad"}]
    metrics = [{"name": "drift_psi", "value": 0.3, "dimensions": {"feature": "amount", "run": run}}]
    result = run_sender({"records": records, "metrics": metrics}, collector.connection_string)
    assert json.loads(result.stdout.splitlines()[-1]) == {"sent": 2}

    rows = collector.query("inferences", dim_model_version="7", **{"from": "2026-11-29T10:00:00Z"})
    mine = [row for row in rows if row["request_id"].startswith(run)]
    assert mine == [
        {
            "time": "2026-11-29T10:00:00.000001Z",
            "request_id": f"{run}-0",
            "model_name": "card-fraud",
            "model_version": "7",
            "deployment": "blue",
            "features": {"amount": 10.0, "mcc": "5411", "is_online": True},
            "score": 0.0,
            "error": None,
            "latency_ms": 1.5,
            "probe": None,
            "role": "score-test",
        },
        {
            "time": "2026-11-29T10:01:00.000001Z",
            "request_id": f"{run}-1",
            "model_name": "card-fraud",
            "model_version": "7",
            "deployment": "blue",
            "features": {"amount": 11.0, "mcc": "5411", "is_online": False},
            "score": None,
            "error": "amount: missing",
            "latency_ms": 1.5,
            "probe": None,
            "role": "score-test",
        },
    ]
    values = collector.query("metrics", name="drift_psi", dim_run=run)
    assert [(v["value"], v["count"], v["dimensions"]["feature"]) for v in values] == [(0.3, 1, "amount")]


def test_nothing_configured_is_a_clear_no_op() -> None:
    result = run_sender({"records": [record("off", 0)], "metrics": []}, connection_string=None)
    assert json.loads(result.stdout.splitlines()[0]) == {"enabled": False}
    assert json.loads(result.stdout.splitlines()[-1]) == {"sent": 0}
    assert "telemetry off: APPLICATIONINSIGHTS_CONNECTION_STRING is not set" in result.stderr
