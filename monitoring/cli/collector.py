"""`python -m monitoring collector --port N [--db PATH]`: the local Application Insights ingestion."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from monitoring.collector import CollectorError, EnvelopeStore
from monitoring.collector.server import CollectorServer

DEFAULT_DB = Path("build/local/collector/telemetry.sqlite")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitoring collector", description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"SQLite store (default {DEFAULT_DB})")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s"
    )
    try:
        store = EnvelopeStore(args.db)
        server = CollectorServer(("127.0.0.1", args.port), store)
    except (CollectorError, OSError) as exc:
        print(f"collector: {exc}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    host, port = server.server_address[:2]
    print(f"collector listening on http://{host}:{port}/ store {args.db}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0
