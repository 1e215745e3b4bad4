"""`python -m ml pipeline <env>`: run the training pipeline (locally: the local runner; Azure: submit it).

python -m ml pipeline local [--data FILE] [--label-noise X]
python -m ml pipeline dev                      train in the dev workspace when the inputs changed, share the model
python -m ml pipeline dev --no-wait            submit (or find) the run of these inputs and return
python -m ml pipeline dev --await-minutes 50   await that run at most 50 minutes
python -m ml pipeline staging --promote --version N   the release's registry version, never retrain
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from environments.deploy.azure_clients import session_root
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.render import REPO_ROOT, build_dir, render_environment
from ml.data.errors import DataError
from ml.data.store import state_dir
from ml.pipeline.errors import PipelineError
from ml.registry.errors import RegistryError

PIPELINE_FILE = Path("azureml/pipelines/training.yml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("environment", help="local, dev, staging or prod")
    parser.add_argument(
        "--data", type=Path, help="train on this CSV/Parquet file instead of the recorded data"
    )
    parser.add_argument(
        "--label-noise", type=float, help="corrupt this fraction of training labels (gate check)"
    )
    parser.add_argument(
        "--promote", action="store_true", help="deploy the registry's model version; no training"
    )
    parser.add_argument(
        "--version",
        help="with --promote: the model version (Azure: required, from the release manifest; local: "
        "default the model manifest's)",
    )
    parser.add_argument("--state-dir", type=Path, help="state folder (default: from the environment)")
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="Azure: submit the run (or find the run of the same inputs) and return",
    )
    parser.add_argument(
        "--await-minutes",
        type=float,
        help="Azure: await the run at most this long, then return (0 exit while it still runs); "
        "the deploy's ML stage then reuses the completed run",
    )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        env = load_environment(args.environment)
        root = session_root()  # apply's checkout when the deploy runs this step, else this repository
        state = args.state_dir or state_dir(env, root)
        if root == REPO_ROOT:  # a deploy renders its build folder before it plans
            render_environment(env.name)
        pipeline_path = build_dir(env.name, root) / "ml" / PIPELINE_FILE
        overrides = {} if args.label_noise is None else {"label_noise": args.label_noise}
        if env.target == "local":
            from ml.pipeline.training import train_local
            from ml.registry.local_registry import set_stage_alias

            if args.promote:
                version = args.version or _manifest_version(state)
                set_stage_alias(state, env.model.name, version, env.name)
                print(f"{env.model.name} version {version} has the alias {env.name!r}")
                return 0
            registration, manifest = train_local(env, state, pipeline_path, args.data, overrides, _progress())
            print(json.dumps({"registration": registration, "manifest": manifest}, indent=2))
            return 0
        from ml.pipeline import azure_submit

        if args.promote:
            if not args.version:
                raise PipelineError(
                    f"{env.name}: --promote needs --version (the release manifest's model version); "
                    "no stage reads the registry's latest"
                )
            record = azure_submit.promote(env, state, args.version)
        else:
            record = azure_submit.train(
                env,
                state,
                pipeline_path,
                args.data,
                overrides,
                wait=not args.no_wait,
                await_minutes=args.await_minutes,
            )
        print(json.dumps(record, indent=2))
        return 0
    except (EnvironmentsError, DataError, PipelineError, RegistryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _manifest_version(state: Path) -> str:
    from ml.registry.manifest import read_manifest

    try:
        return str(read_manifest(state)["version"])
    except FileNotFoundError as exc:
        raise PipelineError(f"nothing to promote: {exc}") from exc


def _progress() -> Callable[[str], None]:
    """Step progress: rich console lines on a terminal, plain lines otherwise."""
    if sys.stdout.isatty():
        from rich.console import Console

        return Console().log
    return lambda line: print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
