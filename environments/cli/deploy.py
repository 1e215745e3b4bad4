"""`python -m environments deploy ENVIRONMENT`: render -> validate -> plan -> apply (or start, for local)."""

from __future__ import annotations

import argparse
from pathlib import Path

from environments.cli_arguments import add_environment


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments deploy", description=__doc__.splitlines()[0]
    )
    add_environment(parser)
    parser.add_argument("--plan-only", action="store_true", help="print the plan and stop")
    parser.add_argument("--out", help="write the plan as JSON to this file")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="with --plan-only: plan against an empty subscription, without reading Azure",
    )
    parser.add_argument("--events", type=int, default=3000, help="local: events per phase of the loop")
    parser.add_argument(
        "--once", action="store_true", help="local: run the loop once, then stop the stand-ins"
    )
    parser.add_argument(
        "--drift-scenario",
        help="local: the drift phase's scenario as YAML, e.g. '{kind: shift, feature: amount, sd: 3}' "
        "(default: loop.drift_scenario of the environment; docs/own-data.md)",
    )
    parser.add_argument(
        "--stage",
        choices=["infra", "ml", "streaming"],
        help="only the infrastructure before ML, the ML part, or only what follows it",
    )
    parser.add_argument(
        "--release",
        type=Path,
        help="staging, prod: the release manifest to deploy exactly (build/<previous stage>/release.json)",
    )
    parser.add_argument(
        "--summary",
        type=Path,
        help="append the plan as a markdown table to this file (a workflow's $GITHUB_STEP_SUMMARY)",
    )
    parser.add_argument(
        "--accept-outside-network",
        action="store_true",
        help="network: private: deploy a Consumption Logic App that reads a private resource at run time "
        "anyway (it fails then; none does today: docs/decisions/0016-export-and-retrain-in-a-private-network.md)",
    )
    args = parser.parse_args(argv)
    from environments.deploy.command import deploy

    return deploy(
        args.environment,
        plan_only=args.plan_only,
        plan_out=args.out,
        stage=args.stage,
        offline=args.offline,
        once=args.once,
        events=args.events,
        release=args.release,
        summary=args.summary,
        drift_scenario=args.drift_scenario,
        accept_outside_network=args.accept_outside_network,
    )
