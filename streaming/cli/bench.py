"""`python -m streaming bench --out build/bench/streaming.json`: throughput and latency of the local job.

Starts its own broker, Azurite and scoring server (azmlinfsrv serving the stand-in score.py) on loopback,
renders the local project, and measures (see `streaming.bench.measure`). About two minutes.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobServiceClient

from environments.bench_records import write_records
from environments.loader import load_environment
from environments.render import render_environment
from environments.standins import start_azurite, start_broker
from streaming.bench.cpu import group_cpu_seconds, own_cpu_seconds
from streaming.bench.measure import (
    endpoint_rows_per_s,
    fill_topic,
    latencies_at_rate,
    percentile,
    runtime_throughput,
)
from streaming.bench.scoring_standin import STAND_IN_SCORE_SCRIPT, start_scoring_server

log = logging.getLogger("streaming.bench")

THROUGHPUT_GOAL = 50_000
LATENCY_RATE = 10_000
LATENCY_GOAL_MS = 1000.0
LIGHT_RATE = 2_000
"""A rate this machine sustains, to show the latency floor apart from saturation."""


def record(
    name: str,
    value: float,
    unit: str,
    goal: str,
    met: bool | None,
    params: dict[str, Any],
    baseline: float | None = None,
) -> dict[str, Any]:
    value = round(value, 3)
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "ratio": value / baseline if baseline else None,
        "goal": goal,
        "met": met,
        "params": params,
    }


def cpu_seconds(groups: dict[str, int | None]) -> dict[str, float | None]:
    """CPU seconds so far per part of the pipeline (None: this process, which runs the runtime)."""
    return {
        name: own_cpu_seconds() if group is None else group_cpu_seconds(group)
        for name, group in groups.items()
    }


def spent(before: dict[str, float | None], after: dict[str, float | None]) -> dict[str, float | None]:
    """CPU seconds spent between two `cpu_seconds` readings."""
    differences: dict[str, float | None] = {}
    for name, start in before.items():
        end = after[name]
        differences[name] = None if start is None or end is None else end - start
    return differences


def cpu_records(
    events: int,
    throughput_cpu: dict[str, float | None],
    endpoint_rows: float,
    endpoint_cpu: dict[str, float | None],
    common: dict[str, Any],
) -> list[dict[str, Any]]:
    """Rates per CPU-second: what the pipeline costs, apart from how busy the shared machine was."""
    if any(v is None for v in throughput_cpu.values()) or not endpoint_cpu["endpoint"]:
        return []  # no /proc: CPU figures unavailable
    seconds = {name: round(value, 3) for name, value in throughput_cpu.items() if value is not None}
    total = sum(seconds.values())
    endpoint_per_cpu = endpoint_rows / endpoint_cpu["endpoint"]
    params = {**common, "events": events, "cpu_seconds": seconds}
    return [
        record(
            "runtime_events_per_cpu_second",
            events / seconds["runtime"],
            "events/CPU-s",
            "reference (the runtime process alone: reading, engine, function client, outputs, checkpoints)",
            None,
            params,
            baseline=round(endpoint_per_cpu, 3),
        ),
        record(
            "pipeline_events_per_cpu_second",
            events / total,
            "events/CPU-s",
            "reference (runtime + endpoint + broker + blob storage); x2 cores = rate with two free cores",
            None,
            params,
            baseline=round(endpoint_per_cpu, 3),
        ),
        record(
            "endpoint_rows_per_cpu_second",
            endpoint_per_cpu,
            "rows/CPU-s",
            "reference (endpoint alone)",
            None,
            {**common, "cpu_seconds": round(endpoint_cpu["endpoint"], 3)},
        ),
    ]


def project_copy(rendered: Path, target: Path, tag: str) -> Path:
    """The rendered project with its own topics and consumer group (one per phase)."""
    shutil.copytree(rendered, target)
    for path, section, changes in (
        (target / "Inputs" / "transactions.json", "EventHubProperties", {"EventHubName": f"in-{tag}", "ConsumerGroupName": f"g-{tag}"}),
        (target / "Outputs" / "scored-eventhub.json", "EventHubProperties", {"EventHubName": f"out-{tag}"}),
    ):  # fmt: skip
        document = json.loads(path.read_text())
        document[section].update(changes)
        path.write_text(json.dumps(document))
    return target


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m streaming bench", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("build/bench/streaming.json"))
    p.add_argument("--events", type=int, default=100_000, help="backlog drained in the throughput phase")
    p.add_argument("--seconds", type=float, default=15.0, help="length of each latency phase")
    args = p.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("azure", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    env = load_environment("local")
    schema = env.data_schema()
    batch_size = env.stream_analytics.function_batch_size
    state = args.out.parent / "streaming-state"
    shutil.rmtree(state, ignore_errors=True)
    broker = start_broker(state)
    azurite = start_azurite(state)
    server = start_scoring_server(STAND_IN_SCORE_SCRIPT, state)
    try:
        render_environment("local", out=state / "build")
        rendered = state / "build" / "streaming" / "asa"
        log.info("endpoint alone, batches of %d rows", batch_size)
        groups = {
            "runtime": None,
            "endpoint": server.process.pid,
            "broker": broker.process.pid,
            "blob storage": azurite.process.pid,
        }
        before = cpu_seconds(groups)
        endpoint_rate, endpoint_seconds = endpoint_rows_per_s(server.scoring_uri, schema, batch_size, 8.0)
        endpoint_cpu = spent(before, cpu_seconds(groups))
        log.info("endpoint: %.0f rows/s; filling %d events", endpoint_rate, args.events)
        throughput_project = project_copy(rendered, state / "throughput", "throughput")
        fill_topic(broker.bootstrap_servers, "in-throughput", schema, args.events)
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        before = cpu_seconds(groups)
        throughput = runtime_throughput(
            throughput_project,
            broker.bootstrap_servers,
            service,
            server.scoring_uri,
            state / "throughput.checkpoint.json",
            args.events,
        )
        throughput_cpu = spent(before, cpu_seconds(groups))
        log.info("throughput: %.0f events/s; latency at %d events/s", throughput.rate, LATENCY_RATE)
        latency: dict[int, tuple[list[float], float]] = {}
        for rate in (LATENCY_RATE, LIGHT_RATE):
            log.info("latency at %d events/s", rate)
            latency[rate] = latencies_at_rate(
                project_copy(rendered, state / f"latency-{rate}", f"latency-{rate}"),
                broker.bootstrap_servers,
                azurite.connection_string,
                server.scoring_uri,
                state,
                schema,
                rate,
                args.seconds,
                output_topic=f"out-latency-{rate}",
                input_topic=f"in-latency-{rate}",
                partitions=env.event_hubs.partitions,
            )
    finally:
        server.stop()
        azurite.stop()
        broker.stop()
    common = {"batch_size": batch_size, "parallel_requests": env.stream_analytics.function_parallel_requests}
    records = [
        record(
            "sustained_throughput",
            throughput.rate,
            "events/s",
            f">= {THROUGHPUT_GOAL} events/s at batch size 1000",
            throughput.rate >= THROUGHPUT_GOAL,
            {
                **common,
                "events": throughput.events,
                "seconds": round(throughput.seconds, 2),
                "baseline": "endpoint rows/s alone",
            },
            baseline=round(endpoint_rate, 3),
        ),
        record("endpoint_throughput", endpoint_rate, "rows/s", "reference (endpoint alone)", None, common),
    ]
    records += cpu_records(
        throughput.events, throughput_cpu, endpoint_rate * endpoint_seconds, endpoint_cpu, common
    )
    for rate, (latencies, achieved) in latency.items():
        params = {**common, "target_rate": rate, "achieved_rate": round(achieved, 1), "rows": len(latencies)}
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        goal = rate == LATENCY_RATE
        records.append(record(f"latency_p50_at_{rate}", p50, "ms", "reference", None, params))
        records.append(
            record(
                f"latency_p99_at_{rate}",
                p99,
                "ms",
                f"<= {LATENCY_GOAL_MS:.0f} ms at {rate} events/s" if goal else "reference (below saturation)",
                p99 <= LATENCY_GOAL_MS if goal else None,
                params,
            )
        )
    write_records(args.out, records)
    return 0
