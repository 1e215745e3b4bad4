"""`python -m streaming run <env>`: the local Stream Analytics job on the rendered project.

Reads `build/<env>/streaming/asa` (render first), consumes the input hub's topic, writes outputs to
topics and blob storage, checkpoints and commits offsets. Stops cleanly on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from environments.cli_arguments import add_blob_connection, add_environment, add_kafka_connection
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.render import REPO_ROOT, build_dir
from streaming.engine import EngineError
from streaming.runtime import (
    RunError,
    Runner,
    RunOptions,
    blob_service,
    default_manifest,
    kafka_settings,
    load_project,
    resolve_endpoint,
)

log = logging.getLogger("streaming.run")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m streaming run", description=__doc__.splitlines()[0])
    add_environment(p)
    p.add_argument(
        "--project", type=Path, help="rendered ASA project folder (default build/<env>/streaming/asa)"
    )
    p.add_argument(
        "--bootstrap-servers", help="Kafka endpoint (default: local broker port / Event Hubs namespace)"
    )
    add_kafka_connection(p)
    add_blob_connection(p, "Azurite locally, Microsoft Entra ID on Azure")
    p.add_argument("--endpoint", help="scoring URI (default: endpoint manifest, then the project's)")
    p.add_argument("--endpoint-key-env", help="variable holding the endpoint key")
    p.add_argument("--endpoint-manifest", type=Path, help="endpoint manifest written by the ML deploy")
    p.add_argument(
        "--checkpoint", type=Path, help="checkpoint file (default under the state or build folder)"
    )
    p.add_argument(
        "--metrics",
        type=Path,
        help="JSON file kept up to date with where every event read went (scored, dead-lettered, dropped)",
    )
    p.add_argument("--max-batch", type=int, default=5000, help="events read per cycle")
    p.add_argument("--max-backoff", type=float, default=5.0, help="longest wait between endpoint retries (s)")
    p.add_argument("--max-events", type=int, help="stop after reading this many events")
    p.add_argument("--idle-exit", type=float, help="stop when no event came for this many seconds")
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("azure", "httpx"):  # one line per HTTP request at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        env = load_environment(args.environment)
        folder = args.project or build_dir(env.name) / "streaming" / "asa"
        project = load_project(folder)
        source = project.inputs[0]
        kafka = kafka_settings(
            env, source.namespace, args.bootstrap_servers, args.kafka_connection_string_env
        )
        account = project.blob_outputs[0].account if project.blob_outputs else ""
        storage = blob_service(env, account, args.blob_connection_string_env)
        endpoint = resolve_endpoint(
            args.endpoint, args.endpoint_key_env, args.endpoint_manifest or default_manifest(env, REPO_ROOT)
        )
        state = (REPO_ROOT / env.local.state_dir) if env.local is not None else build_dir(env.name)
        checkpoint = args.checkpoint or state / "streaming" / f"{project.name}.checkpoint.json"
        options = RunOptions(
            max_batch=args.max_batch,
            max_backoff_s=args.max_backoff,
            create_topics=env.local is not None,
            topic_partitions=source.partitions,
            metrics_path=args.metrics,
        )
        runner = Runner(project, kafka.client_config(), storage, endpoint, checkpoint, options)
        outputs = [o.alias for o in project.eventhub_outputs] + [o.alias for o in project.blob_outputs]
        log.info("running %s: topic %s -> %s", project.name, source.hub, outputs)
        stats = runner.run(stop, idle_exit_s=args.idle_exit, max_events=args.max_events)
    except (RunError, EngineError, EnvironmentsError) as exc:
        print(f"streaming run: {exc}", file=sys.stderr)
        return 1
    log.info(
        "stopped: %d events in, rows out %s, %d cycles, late %s",
        stats.events_in,
        stats.rows_out,
        stats.cycles,
        stats.late,
    )
    accounting = runner.accounting()
    log.info(
        "accounting: %d events in = %d scored + %d dead-lettered (%d before the query) + dropped %s + %d in flight",
        accounting["events_in"],
        accounting["scored"],
        accounting["dead_lettered"],
        accounting["dead_lettered_before_query"],
        accounting["dropped"],
        accounting["in_flight"],
    )
    return 0
