"""`python -m ml rollout <env>`: progressive rollout of the registered model version to the online endpoint.

New deployment (blue/green) at 0% traffic -> smoke test with a Stream Analytics-shaped batch holding one
bad row -> mirrored traffic -> live shares of `env.rollout.shift_percents` -> old deployment kept for
`env.rollout.old_bake_s`, then removed. A failed smoke test, or a step where the new deployment's error
rate or latency regresses against the old one's, puts all traffic back on the old deployment, removes
the new one and says why (exit code 1). The model is the one in `<state>/ml/model-manifest.json`.

    python -m ml rollout local            behind the running `python -m ml serve local` endpoint
    python -m ml rollout dev              Azure ML managed online endpoint (azure-ai-ml): the endpoint's
                                          traffic and mirror_traffic, judged on its Azure Monitor metrics
    python -m ml rollout rollback local   all traffic back to the previous deployment while it exists
    python -m ml rollout dev --plan-only  print each step's endpoint `traffic` and `mirror_traffic` as
                                          azure-ai-ml validates and sends them (offline, blue -> green)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from pathlib import Path

from environments.deploy.azure_clients import session_root
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from ml.data.store import state_dir
from ml.serving.errors import RolloutError, ServingError
from ml.serving.manifests import read_model_manifest
from ml.serving.rollout import progressive_rollout, rollback, rollout
from ml.serving.smoke import smoke_batch

ROLLBACK = "rollback"
COMMAND = "python -m ml rollout"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml rollout", description=__doc__.splitlines()[0])
    parser.add_argument("environment", help="local, dev, staging or prod (or: rollback <env>)")
    parser.add_argument("--port", type=int, help="local: the endpoint port (default: local.endpoint_port)")
    parser.add_argument("--state-dir", type=Path, help="state folder (default: from the environment)")
    parser.add_argument(
        "--progressive",
        action="store_true",
        help="Azure: mirror, then shift step by step, each step judged on the endpoint's Azure Monitor "
        "metrics, then keep the old deployment for rollout.old_bake_s (hours: run it where a job may wait "
        "that long, not in the deploy); without it Azure shifts all traffic once the smoke test passes. "
        "Locally the rollout is always progressive",
    )
    parser.add_argument(
        "--plan-only",
        action="store_true",
        help="Azure: print each step's traffic and mirror settings (validated by azure-ai-ml) and stop",
    )
    return parser


def _print_plan(env) -> int:  # env: environments.model.Environment
    """The Azure rollout's steps from the rendered endpoint, offline (the new deployment: green)."""
    from environments.render import build_dir, render_environment
    from ml.serving.azure_endpoint import AZUREML_FOLDER, rollout_plan

    if env.target == "local":
        raise RolloutError("--plan-only is for Azure environments: locally the router applies the same steps")
    render_environment(env.name)
    steps = rollout_plan(build_dir(env.name) / "ml" / AZUREML_FOLDER, env.rollout, "blue", "green")
    print(
        json.dumps({"environment": env.name, "old_bake_s": env.rollout.old_bake_s, "steps": steps}, indent=2)
    )
    return 0


def _target(env, port: int | None, state: Path):  # -> ProgressiveTarget
    if env.target == "local":
        from ml.serving.local_endpoint import LocalEndpoint

        target = LocalEndpoint.for_environment(env, port, state)
        target.router_state()  # fails clearly when `python -m ml serve local` is not running
        return target
    from ml.serving.azure_endpoint import AzureEndpoint

    return AzureEndpoint.connect(env)


def main(argv: list[str]) -> int:
    rolling_back = bool(argv) and argv[0] == ROLLBACK
    args = _parser().parse_args(argv[1:] if rolling_back else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("azure").setLevel(logging.WARNING)  # the SDKs log every request at INFO
    try:
        env = load_environment(args.environment)
        if args.plan_only:
            return _print_plan(env)
        state = args.state_dir or state_dir(env, session_root())
        target = _target(env, args.port, state)
        # Locally, a restart of a dead deployment by `ml serve` and this command take turns.
        changing = target.changing(COMMAND) if env.target == "local" else contextlib.nullcontext()
        if rolling_back:
            with changing:
                previous = rollback(target)
            print(f"deployment {previous} takes all traffic again")
            return 0
        model = read_model_manifest(state)
        smoke = smoke_batch(env.data_schema(), env.endpoint.smoke_batch_size)
        if env.target != "local" and (serving := target.serves(model)):
            print(
                f"{model.name} version {model.version} already serves from deployment {serving} (same definition)"
            )
            return 0
        # The same steps and policy everywhere: locally the router measures, on Azure Azure Monitor.
        # The deploy's Azure rollout shifts once the smoke test passes: its steps bake for hours (prod
        # keeps the old deployment a day), longer than a deploy job, and without traffic there is
        # nothing to judge; `--progressive` runs them where a job may wait that long.
        with changing:
            if env.target == "local" or args.progressive:
                result = progressive_rollout(target, model, smoke, env.rollout)
            else:
                result = rollout(target, model, smoke)
    except (EnvironmentsError, ServingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    previous = f", replacing {result.previous}" if result.previous else ""
    print(f"{model.name} version {model.version} serves from deployment {result.deployment}{previous}")
    return 0
