"""`python -m streaming explain <env> [--project FOLDER]`: the plan the local engine builds for the rendered query.

The same compilation as `python -m streaming run` (the project's query, its functions, its outputs), printed
as the engine's DAG of steps (`Plan.explain()`), without connecting to anything.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.cli_arguments import add_environment
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.render import build_dir
from streaming.engine import QueryError
from streaming.runtime import RunError, compile_project, load_project


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m streaming explain", description=__doc__.splitlines()[0])
    add_environment(parser)
    parser.add_argument(
        "--project", type=Path, help="rendered ASA project folder (default build/<env>/streaming/asa)"
    )
    args = parser.parse_args(argv)
    try:
        env = load_environment(args.environment)
        folder = args.project or build_dir(env.name) / "streaming" / "asa"
        project = load_project(folder)
        plan = compile_project(project)
    except (EnvironmentsError, RunError, QueryError) as exc:
        print(f"explain: {exc}", file=sys.stderr)
        return 1
    print(f"-- {project.name}: {folder}")
    print(plan.explain())
    return 0
