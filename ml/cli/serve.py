"""`python -m ml serve local [--port N]`: serve the registered model on the local endpoint, in the foreground.

Starts the endpoint router on 127.0.0.1:<port> (default `local.endpoint_port`), rolls the model named by
the model manifest out to a first deployment (smoke test included), writes `<state>/ml/endpoint.json`
and serves until Ctrl-C, then stops every deployment and marks the endpoint unhealthy. Callers send
`Authorization: Bearer <key>`: the key is `ML_ENDPOINT_KEY`, or generated into `<state>/ml/endpoint.key`.
`python -m ml rollout local` swaps the model behind the running endpoint.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from environments.errors import EnvironmentsError
from environments.loader import load_environment
from ml.serving.errors import ServingError
from ml.serving.local_endpoint import LocalEndpoint
from ml.serving.manifests import read_model_manifest
from ml.serving.rollout import rollout
from ml.serving.smoke import smoke_batch


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml serve", description=__doc__.splitlines()[0])
    parser.add_argument("environment", choices=["local"], help="only the local endpoint is served from here")
    parser.add_argument("--port", type=int, help="stable endpoint port (default: local.endpoint_port)")
    parser.add_argument("--state-dir", type=Path, help="state folder (default: from the environment)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        env = load_environment(args.environment)
        endpoint = LocalEndpoint.for_environment(env, args.port, args.state_dir)
        model = read_model_manifest(endpoint.state.parent)
        endpoint.ensure_port_free()
        endpoint.stop_all()  # deployments left by a previous run that did not end cleanly
        router = endpoint.start_router()
    except (EnvironmentsError, ServingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        smoke = smoke_batch(env.data_schema(), env.endpoint.smoke_batch_size)
        result = rollout(endpoint, model, smoke)
        print(f"serving {model.name} version {model.version} ({result.deployment}) on {endpoint.url}/score")
        print(f"endpoint manifest: {endpoint.manifest_path} (key: $ML_ENDPOINT_KEY or the key_file it names)")
        while not stop.wait(timeout=1.0):
            endpoint.reap()
        return 0
    except ServingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        endpoint.stop_all()
        router.stop()
