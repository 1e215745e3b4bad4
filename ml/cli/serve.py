"""`python -m ml serve local [--port N]`: serve the registered model on the local endpoint, in the foreground.

Starts the endpoint router on 127.0.0.1:<port> (default `local.endpoint_port`), rolls the model named by
the model manifest out to a first deployment (smoke test included), writes `<state>/ml/endpoint.json`
and serves until Ctrl-C or SIGTERM, then stops every deployment and marks the endpoint unhealthy. A
deployment taking traffic whose server dies is restarted (see `LocalEndpoint.watch`). Callers send
`Authorization: Bearer <key>`: the key is `ML_ENDPOINT_KEY`, or generated into `<state>/ml/endpoint.key`.
`python -m ml rollout local` swaps the model behind the running endpoint.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.standins.supervisor import Supervisor
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
    # Ctrl-C, SIGTERM or the death of whoever started us: the router and every deployment stop with us.
    with Supervisor() as supervisor:
        try:
            env = load_environment(args.environment)
            endpoint = LocalEndpoint.for_environment(env, args.port, args.state_dir)
            endpoint.die_with_parent = True
            model = read_model_manifest(endpoint.state.parent)
            endpoint.ensure_port_free()
            endpoint.stop_all()  # deployments left by a previous run that did not end cleanly
            supervisor.on_exit(endpoint.stop_all)
            supervisor.adopt(endpoint.start_router())
            smoke = smoke_batch(env.data_schema(), env.endpoint.smoke_batch_size)
            with endpoint.changing("python -m ml serve: first rollout"):
                result = rollout(endpoint, model, smoke)
            print(
                f"serving {model.name} version {model.version} ({result.deployment}) on {endpoint.url}/score"
            )
            print(
                f"endpoint manifest: {endpoint.manifest_path} (key: $ML_ENDPOINT_KEY or the key_file it names)"
            )
            while True:
                time.sleep(1.0)
                endpoint.watch()
        except KeyboardInterrupt:
            return 0
        except (EnvironmentsError, ServingError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
