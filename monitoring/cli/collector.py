"""`python -m monitoring collector --port N [--db PATH]`: the local Application Insights ingestion.

The instrumentation key it accepts and its query key come from the environment variables
STREAMSCORE_COLLECTOR_IKEY and STREAMSCORE_COLLECTOR_KEY (`nox -s deploy-local` sets both)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from environments.local_secrets import COLLECTOR_IKEY_VARIABLE, COLLECTOR_KEY_VARIABLE
from monitoring.collector import CollectorError, EnvelopeStore
from monitoring.collector.server import CollectorServer

DEFAULT_DB = Path("build/local/collector/telemetry.sqlite")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitoring collector", description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"SQLite store (default {DEFAULT_DB})")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request")
    parser.add_argument(
        "--refuse-role",
        action="append",
        default=[],
        metavar="ROLE",
        help="answer ingestion from this cloud role 403 as Application Insights answers an identity "
        "without Monitoring Metrics Publisher (repeatable; a test stand-in for a missing role)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s"
    )
    keys = {
        name: os.environ.get(name, "").strip() for name in (COLLECTOR_IKEY_VARIABLE, COLLECTOR_KEY_VARIABLE)
    }
    missing = [name for name, value in keys.items() if not value]
    if missing:
        print(
            f"collector: set {' and '.join(missing)} (the keys it checks; never left open)", file=sys.stderr
        )
        return 2
    try:
        store = EnvelopeStore(args.db)
        server = CollectorServer(
            ("127.0.0.1", args.port),
            store,
            keys[COLLECTOR_IKEY_VARIABLE],
            keys[COLLECTOR_KEY_VARIABLE],
            frozenset(args.refuse_role),
        )
    except (CollectorError, OSError) as exc:
        print(f"collector: {exc}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    host, port = server.socket.getsockname()[:2]
    print(f"collector listening on http://{host}:{port}/ store {args.db}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0
