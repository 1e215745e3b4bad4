"""`python -m environments destroy ENVIRONMENT`: delete an Azure environment's resource group (after a confirmation)."""

from __future__ import annotations

import argparse

from environments.cli_arguments import add_environment


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments destroy", description=__doc__.splitlines()[0]
    )
    add_environment(parser)
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--plan-only", action="store_true", help="print the destroy plan (offline) and stop")
    args = parser.parse_args(argv)
    from environments.deploy.destroy import destroy

    return destroy(args.environment, yes=args.yes, plan_only=args.plan_only)
