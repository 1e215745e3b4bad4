"""`python -m streaming produce <env>`: generated or replayed events to the input hub (Kafka endpoint).

python -m streaming produce local --count 10000 --rate 2000
python -m streaming produce dev --file data.jsonl --kafka-connection-string-env EVENTHUB_CONNECTION_STRING
python -m streaming produce dev --duration 60 --rate 5000 --oauth
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from environments.cli_arguments import add_environment, add_kafka_connection
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.naming import resource_names
from streaming.producer import EventGenerator, ProduceError, read_events, send_events
from streaming.producer.events import format_event_time
from streaming.runtime import RunError, ensure_topics, kafka_settings
from streaming.runtime.connections import KafkaSettings

log = logging.getLogger("streaming.produce")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m streaming produce", description=__doc__.splitlines()[0])
    add_environment(p)
    p.add_argument("--file", type=Path, help="replay this file (JSON lines, JSON array or Parquet)")
    p.add_argument("--count", type=int, help="send this many events (generated: required unless --duration)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--rate", type=float, help="target events per second (default: as fast as possible)")
    p.add_argument("--key", help="partition key field (default: the schema's id column)")
    p.add_argument("--topic", help="topic / event hub (default: the environment's input hub)")
    p.add_argument(
        "--bootstrap-servers", help="Kafka endpoint (default: local broker / Event Hubs namespace)"
    )
    add_kafka_connection(p)
    p.add_argument("--oauth", action="store_true", help="Microsoft Entra ID (OAUTHBEARER) for Event Hubs")
    p.add_argument("--seed", type=int, default=0, help="generator seed")
    p.add_argument(
        "--invalid-ratio", type=float, default=0.0, help="share of generated events failing a check"
    )
    p.add_argument("--keep-event-time", action="store_true", help="replay: keep the file's event times")
    return p


def _progress(total: int | None) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A rich progress bar on a terminal, plain log lines otherwise."""
    if sys.stderr.isatty():
        from rich.progress import Progress

        bar = Progress(transient=False)
        task = bar.add_task("sending", total=total)
        bar.start()
        return (lambda n: bar.update(task, completed=n)), bar.stop
    last = [0]

    def report(n: int) -> None:
        if n - last[0] >= 10_000 or (total is not None and n >= total):
            log.info("sent %d events", n)
            last[0] = n

    return report, lambda: None


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        env = load_environment(args.environment)
        schema = env.data_schema()
        namespace = resource_names(env).event_hubs_namespace
        settings = kafka_settings(env, namespace, args.bootstrap_servers, args.kafka_connection_string_env)
        if args.oauth:
            settings = KafkaSettings(settings.bootstrap_servers, oauth=True)
        topic = args.topic or env.event_hubs.input_hub
        config = settings.client_config()
        if env.local is not None:
            ensure_topics(config, [topic], env.event_hubs.partitions)
        if args.file is not None:
            events: Iterator[dict[str, Any]] = read_events(args.file)
        elif args.count is None and args.duration is None:
            print("streaming produce: give --count or --duration (or --file)", file=sys.stderr)
            return 2
        else:
            generator = EventGenerator(schema, args.seed, args.invalid_ratio)
            events = (generator.event(datetime.now(UTC)) for _ in itertools.count())
        if args.count is not None:
            events = itertools.islice(events, args.count)

        def stamp(event: dict[str, Any]) -> dict[str, Any]:
            return {**event, schema.time_column: format_event_time(datetime.now(UTC))}

        report, done = _progress(args.count)
        try:
            result = send_events(
                config,
                topic,
                events,
                rate=args.rate,
                duration_s=args.duration,
                key_field=args.key or schema.id_column,
                stamp=None if args.keep_event_time else stamp,
                progress=report,
            )
        finally:
            done()
    except (ProduceError, RunError, EnvironmentsError) as exc:
        print(f"streaming produce: {exc}", file=sys.stderr)
        return 1
    log.info("sent %d events to %s in %.1f s (%.0f/s)", result.sent, topic, result.seconds, result.rate)
    return 0
