"""`python -m streaming bench --out build/bench/streaming.json`: throughput and latency of the local job.

Starts its own broker, Azurite and scoring server (azmlinfsrv serving the stand-in score.py) on loopback,
renders the local project, and measures (see `streaming.bench.measure`). The throughput that the goal is
compared with is the pipeline's with every row in the inference log (stand-in score.py -> monitoring.telemetry
-> the real exporter -> the real collector), clocked until the last row is logged; measured again at
prod's sampling rate, and without the inference log for reference; each with the fraction logged.
About four minutes.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobServiceClient

from environments.bench_records import write_records
from environments.loader import load_environment
from environments.render import render_environment
from environments.standins import start_azurite, start_broker
from streaming.bench.cpu import group_cpu_seconds, own_cpu_seconds
from streaming.bench.inference_log import promised_rows, scoring_env, start_collector, wait_logged
from streaming.bench.measure import (
    endpoint_rows_per_s,
    fill_topic,
    latencies_at_rate,
    percentile,
    runtime_throughput,
)
from streaming.bench.scoring_standin import STAND_IN_SCORE_SCRIPT, ScoringServer, start_scoring_server

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


def logged_throughput(
    tag: str,
    sampling_ratio: float,
    rendered: Path,
    state: Path,
    bootstrap: str,
    service: BlobServiceClient,
    schema: Any,
    events: int,
) -> dict[str, Any]:
    """Drain a backlog through a scoring server that logs every row it scores (at `sampling_ratio`) to
    its own collector; the clock stops when the outputs are durable AND the promised rows are logged."""
    folder = state / tag
    collector = start_collector(folder / "collector")
    server = start_scoring_server(
        STAND_IN_SCORE_SCRIPT, folder, extra_env=scoring_env(collector, sampling_ratio, folder / "spool")
    )
    try:
        project = project_copy(rendered, folder / "project", tag)
        ids = fill_topic(bootstrap, f"in-{tag}", schema, events)
        promised = promised_rows(ids, sampling_ratio)
        groups = {"runtime": None, "endpoint": server.process.pid, "collector": collector.process.pid}
        before = cpu_seconds(groups)
        throughput = runtime_throughput(
            project, bootstrap, service, server.scoring_uri, folder / "checkpoint.json", events
        )
        outputs_done = time.monotonic()
        logged, logged_at = wait_logged(collector, promised, timeout_s=600)
        used = spent(before, cpu_seconds(groups))
    finally:
        server.stop()
        collector.stop()
    seconds = throughput.seconds + max(0.0, logged_at - outputs_done)
    log.info(
        "%s: %d events in %.1f s (outputs %.1f s), %d of %d promised rows logged",
        tag, throughput.events, seconds, throughput.seconds, logged, promised,
    )  # fmt: skip
    return {
        "events": throughput.events,
        "seconds": round(seconds, 2),
        "seconds_outputs_durable": round(throughput.seconds, 2),
        "sampling_ratio": sampling_ratio,
        "promised_rows": promised,
        "logged_rows": logged,
        "server_log_lost_lines": _lost_lines(server),
        # Where the time goes: the endpoint's share includes sending the log (envelopes, JSON, HTTP).
        "cpu_seconds": {name: round(value, 3) for name, value in used.items() if value is not None},
    }


def _lost_lines(server: ScoringServer) -> int:
    """Lines in the scoring server's log that report inference rows not sent (never expected)."""
    text = server.process.log_path.read_text(errors="replace")
    return sum(1 for line in text.splitlines() if "rows not sent" in line or "Queue full" in line)


def logged_records(
    phase: dict[str, Any],
    name: str,
    goal: str,
    met_goal: bool | None,
    baseline: float,
    common: dict[str, Any],
) -> list[dict[str, Any]]:
    """The throughput with the inference log on, and the fraction of events logged next to what the rate promises."""
    params = {**common, **phase}
    promised_fraction = phase["promised_rows"] / phase["events"]
    return [
        record(
            name, phase["events"] / phase["seconds"], "events/s", goal, met_goal, params, baseline=baseline
        ),
        record(
            name.replace("sustained_throughput", "inference_log_fraction_logged"),
            phase["logged_rows"] / phase["events"],
            "fraction of events",
            f"== {promised_fraction:.4f} (the rows the rate {phase['sampling_ratio']} keeps by id), exactly",
            phase["logged_rows"] == phase["promised_rows"],
            params,
        ),
    ]


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
    prod_ratio = load_environment("prod").monitoring.log_sampling_ratio
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
        phases = {
            tag: logged_throughput(
                tag, ratio, rendered, state, broker.bootstrap_servers, service, schema, args.events
            )
            for tag, ratio in (("logged", 1.0), ("prod-sampling", prod_ratio))
        }
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
    logged = phases["logged"]
    logged_rate = logged["events"] / logged["seconds"]
    records = logged_records(
        logged,
        "sustained_throughput",
        f">= {THROUGHPUT_GOAL} events/s at batch size 1000, every row in the inference log",
        logged_rate >= THROUGHPUT_GOAL and logged["logged_rows"] == logged["events"],
        round(endpoint_rate, 3),
        {**common, "baseline": "endpoint rows/s alone, without inference log"},
    )
    records += logged_records(
        phases["prod-sampling"],
        "sustained_throughput_at_prod_sampling",
        f"reference (prod's log_sampling_ratio {prod_ratio})",
        None,
        round(endpoint_rate, 3),
        {**common, "baseline": "endpoint rows/s alone, without inference log"},
    )
    records += [
        record(
            "sustained_throughput_without_inference_log",
            throughput.rate,
            "events/s",
            "reference (scoring server with telemetry off)",
            None,
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
