"""`python -m ml rollout <env>`: safe rollout of the registered model version to the online endpoint.

New deployment (blue/green) at 0% traffic -> smoke test with a Stream Analytics-shaped batch holding one
bad row -> all traffic to it -> old deployment removed; a failed smoke test removes the new deployment
and leaves the old one serving (exit code 1). The model is the one in `<state>/ml/model-manifest.json`.

    python -m ml rollout local     behind the running `python -m ml serve local` endpoint
    python -m ml rollout dev       Azure ML managed online endpoint (azure-ai-ml, DefaultAzureCredential)
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from environments.errors import EnvironmentsError
from environments.loader import load_environment
from ml.data.store import state_dir
from ml.serving.errors import ServingError
from ml.serving.manifests import read_model_manifest
from ml.serving.rollout import rollout
from ml.serving.smoke import smoke_batch


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml rollout", description=__doc__.splitlines()[0])
    parser.add_argument("environment", help="local, dev, staging or prod")
    parser.add_argument("--port", type=int, help="local: the endpoint port (default: local.endpoint_port)")
    parser.add_argument("--state-dir", type=Path, help="state folder (default: from the environment)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        env = load_environment(args.environment)
        state = args.state_dir or state_dir(env)
        model = read_model_manifest(state)
        smoke = smoke_batch(env.data_schema(), env.endpoint.smoke_batch_size)
        if env.target == "local":
            from ml.serving.local_endpoint import LocalEndpoint

            target = LocalEndpoint.for_environment(env, args.port, state)
            target.router_state()  # fails clearly when `python -m ml serve local` is not running
        else:
            from ml.serving.azure_endpoint import AzureEndpoint

            target = AzureEndpoint.connect(env)
        result = rollout(target, model, smoke)
    except (EnvironmentsError, ServingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    previous = f", replacing {result.previous}" if result.previous else ""
    print(f"{model.name} version {model.version} serves from deployment {result.deployment}{previous}")
    return 0
