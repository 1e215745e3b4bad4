"""`python -m environments render|validate|deploy|destroy|security <env> ...`, `python -m environments schemas refresh`

`render <env> --update-golden` rewrites that environment's golden files (`environments/golden_render.py`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.cli_arguments import add_environment
from environments.errors import EnvironmentsError
from environments.loader import environment_names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m environments", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="render every template for an environment into build/<env>/")
    render.add_argument("environment", nargs="*", help="environment names (default: all)")
    render.add_argument(
        "--out", type=Path, help="one environment: render into this folder instead of build/<env>/"
    )
    render.add_argument(
        "--update-golden",
        action="store_true",
        help="one environment: rewrite its golden files (environments/tests/golden/<env>/) from a fresh render",
    )
    validate = commands.add_parser("validate", help="render, then validate the rendered ARM templates")
    validate.add_argument("environment", nargs="*", help="environment names (default: all)")
    deploy = commands.add_parser("deploy", help="render -> validate -> plan -> apply (or start, for local)")
    add_environment(deploy)
    deploy.add_argument("--plan-only", action="store_true", help="print the plan and stop")
    deploy.add_argument("--out", help="write the plan as JSON to this file")
    deploy.add_argument(
        "--offline",
        action="store_true",
        help="with --plan-only: plan against an empty subscription, without reading Azure",
    )
    deploy.add_argument("--events", type=int, default=3000, help="local: events per phase of the loop")
    deploy.add_argument(
        "--once", action="store_true", help="local: run the loop once, then stop the stand-ins"
    )
    deploy.add_argument(
        "--stage",
        choices=["infra", "ml", "streaming"],
        help="only the infrastructure before ML, the ML part, or only what follows it",
    )
    deploy.add_argument(
        "--release",
        type=Path,
        help="staging, prod: the release manifest to deploy exactly (build/<previous stage>/release.json)",
    )
    destroy = commands.add_parser(
        "destroy", help="delete an Azure environment's resource group (after a confirmation)"
    )
    add_environment(destroy)
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    destroy.add_argument("--plan-only", action="store_true", help="print the destroy plan (offline) and stop")
    schemas = commands.add_parser(
        "schemas", help="the ARM schema files vendored in environments/arm/schemas/"
    )
    schema_commands = schemas.add_subparsers(dest="schemas_command", required=True)
    refresh = schema_commands.add_parser(
        "refresh", help="re-vendor exactly the schema files the rendered templates of every environment use"
    )
    refresh.add_argument(
        "--from",
        dest="source",
        help="a copy of upstream schemas/ (default: $STREAMSCORE_ARM_SCHEMAS)",
    )
    security = commands.add_parser(
        "security",
        help="checkov, zizmor and bandit over build/<env>/ (render first), .github/ and the code, "
        "triaged against tools/security/allow/",
    )
    security.add_argument("environment", nargs="*", help="Azure environment names (default: every Azure one)")
    summary = commands.add_parser("bench-summary", help="combine build/bench/<domain>.json into summary.json")
    summary.add_argument("folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "render":
            from environments.golden_render import update_golden
            from environments.render import render_environment

            if (args.out or args.update_golden) and len(args.environment) != 1:
                print("render: --out and --update-golden take exactly one environment", file=sys.stderr)
                return 2
            if args.update_golden:
                print(
                    f"{args.environment[0]}: golden files rewritten in {update_golden(args.environment[0])}/"
                )
                return 0
            for name in args.environment or environment_names():
                written = render_environment(name, out=args.out)
                print(f"{name}: {len(written)} files rendered into {args.out or f'build/{name}'}/")
        elif args.command == "validate":
            from environments.render import render_environment
            from environments.validate import validate_environment

            for name in args.environment or environment_names():
                render_environment(name)
                checked = validate_environment(name)
                print(f"{name}: {len(checked)} ARM templates valid")
        elif args.command == "destroy":
            from environments.deploy.destroy import destroy

            return destroy(args.environment, yes=args.yes, plan_only=args.plan_only)
        elif args.command == "deploy":
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
            )
        elif args.command == "schemas":
            from environments.arm.schema_store import ENV_VAR, VENDORED
            from environments.arm.schema_vendor import default_source, refresh

            source = Path(args.source) if args.source else default_source()
            if source is None:
                print(
                    f"schemas refresh: give --from <a checkout's schemas/ folder of "
                    f"Azure/azure-resource-manager-schemas> or set ${ENV_VAR}",
                    file=sys.stderr,
                )
                return 2
            vendored = refresh(source)
            print(f"{len(vendored)} schema files from {source} vendored into {VENDORED}")
        elif args.command == "security":
            from environments.render import REPO_ROOT
            from environments.security.scan import scan, summary

            lines, passed = summary(scan(REPO_ROOT, args.environment or None))
            print("\n".join(lines))
            return 0 if passed else 1
        elif args.command == "bench-summary":
            from environments.bench_records import summarize

            print(f"wrote {summarize(Path(args.folder))}")
    except EnvironmentsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
