"""`python -m environments render|validate|deploy|destroy|rotate-key|security|runner <env> ...`, `... release record|promote|notes`, `render-drift BASE`, `python -m environments schemas refresh`"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.errors import EnvironmentsError
from environments.loader import environment_names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m environments", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="render every template for an environment into build/<env>/")
    render.add_argument("env", nargs="*", help="environment names (default: all)")
    validate = commands.add_parser("validate", help="render, then validate the rendered ARM templates")
    validate.add_argument("env", nargs="*", help="environment names (default: all)")
    deploy = commands.add_parser("deploy", help="render -> validate -> plan -> apply (or start, for local)")
    deploy.add_argument("env")
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
        "--drift-scenario",
        help="local: the drift phase's scenario as YAML, e.g. '{kind: shift, feature: amount, sd: 3}' "
        "(default: loop.drift_scenario of the environment; docs/own-data.md)",
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
    deploy.add_argument(
        "--summary",
        type=Path,
        help="append the plan as a markdown table to this file (a workflow's $GITHUB_STEP_SUMMARY)",
    )
    destroy = commands.add_parser(
        "destroy", help="delete an Azure environment's resource group (after a confirmation)"
    )
    destroy.add_argument("env")
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    destroy.add_argument("--plan-only", action="store_true", help="print the destroy plan (offline) and stop")
    rotate = commands.add_parser(
        "rotate-key",
        help="rotate the online endpoint key the Stream Analytics job calls with (Key Vault, job function, endpoint)",
    )
    rotate.add_argument("env")
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
        help="a copy of upstream schemas/ (default: $STREAMSCORE_ARM_SCHEMAS, else ../shared/arm-schemas)",
    )
    security = commands.add_parser(
        "security",
        help="checkov, zizmor, actionlint and bandit over build/<env>/ (render first), .github/ and the code, "
        "triaged against tools/security/allow/",
    )
    security.add_argument("env", nargs="*", help="Azure environment names (default: every Azure one)")
    release = commands.add_parser(
        "release", help="the GitHub release path to prod: record staging's manifest, promote a tag, notes"
    )
    release_commands = release.add_subparsers(dest="release_command", required=True)
    record = release_commands.add_parser("record", help="keep staging's manifest as the note of its commit")
    record.add_argument("manifest", type=Path, help="build/staging/release.json")
    promote = release_commands.add_parser("promote", help="the manifest staging recorded for a tag's commit")
    promote.add_argument("tag", help="vX.Y.Z")
    promote.add_argument("--out", type=Path, required=True, help="where to write it (deploy prod --release)")
    notes = release_commands.add_parser("notes", help="release notes against the previous release tag")
    notes.add_argument("tag", help="vX.Y.Z")
    notes.add_argument("--release", type=Path, required=True, help="the release manifest prod deploys")
    notes.add_argument("--out", type=Path, required=True, help="where to write the notes (markdown)")
    notes.add_argument("--attach", action="store_true", help="set them on the GitHub release (gh CLI)")
    for sub in (record, promote, notes):
        sub.add_argument("--remote", default="origin", help="the git remote holding the records")
    drift = commands.add_parser(
        "render-drift",
        help="what this checkout's rendered files change against another rendering, by resource",
    )
    drift.add_argument("base", type=Path, help="the other rendering's build/ folder (pr.yml: main's)")
    drift.add_argument("--summary", type=Path, help="also append the markdown to this file")
    runner = commands.add_parser(
        "runner", help="the GitHub Actions runs-on labels of an environment's deploy jobs (its runner: key)"
    )
    runner.add_argument("env", nargs="+", help="one environment (a list of labels) or several (an object)")
    runner.add_argument(
        "--github-output", action="store_true", help="also write labels=<json> to $GITHUB_OUTPUT"
    )
    summary = commands.add_parser("bench-summary", help="combine build/bench/<domain>.json into summary.json")
    summary.add_argument("folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "render":
            from environments.render import render_environment

            for name in args.env or environment_names():
                written = render_environment(name)
                print(f"{name}: {len(written)} files rendered into build/{name}/")
        elif args.command == "validate":
            from environments.render import render_environment
            from environments.validate import validate_environment

            for name in args.env or environment_names():
                render_environment(name)
                checked = validate_environment(name)
                print(f"{name}: {len(checked)} ARM templates valid")
        elif args.command == "destroy":
            from environments.deploy.destroy import destroy

            return destroy(args.env, yes=args.yes, plan_only=args.plan_only)
        elif args.command == "deploy":
            from environments.deploy.command import deploy

            return deploy(
                args.env,
                plan_only=args.plan_only,
                plan_out=args.out,
                stage=args.stage,
                offline=args.offline,
                once=args.once,
                events=args.events,
                release=args.release,
                summary=args.summary,
                drift_scenario=args.drift_scenario,
            )
        elif args.command == "rotate-key":
            from environments.deploy.azure_apply import default_clients
            from environments.deploy.endpoint_key import KeyPlaces, rotate
            from environments.loader import load_environment

            env = load_environment(args.env)
            KeyPlaces.of(env)  # an Azure environment, or an error naming it
            now = rotate(env, default_clients(env))
            print(
                f"{args.env}: the stream job calls the endpoint with its {now} key; the other key is new and unused"
            )
        elif args.command == "schemas":
            from environments.arm.schema_store import VENDORED
            from environments.arm.schema_vendor import default_source, refresh
            from environments.render import REPO_ROOT

            source = Path(args.source) if args.source else default_source(REPO_ROOT)
            written = refresh(source)
            print(f"{len(written)} schema files from {source} vendored into {VENDORED}")
        elif args.command == "security":
            from environments.render import REPO_ROOT
            from environments.security.scan import scan, summary

            lines, passed = summary(scan(REPO_ROOT, args.env or None))
            print("\n".join(lines))
            return 0 if passed else 1
        elif args.command == "release":
            from environments.deploy import release_command
            from environments.render import REPO_ROOT

            if args.release_command == "record":
                return release_command.record(REPO_ROOT, args.manifest, args.remote)
            if args.release_command == "promote":
                return release_command.promote(REPO_ROOT, args.tag, args.out, args.remote)
            return release_command.notes(
                REPO_ROOT, args.tag, args.release, args.out, args.remote, args.attach
            )
        elif args.command == "render-drift":
            from environments.render_drift_command import render_drift

            print(render_drift(args.base, summary=args.summary), end="")
        elif args.command == "runner":
            from environments.loader import load_environment
            from environments.runner_labels import runner_labels, write_github_output

            labels = runner_labels([load_environment(name) for name in args.env])
            print(labels)
            if args.github_output:
                write_github_output(labels)
        elif args.command == "bench-summary":
            from environments.bench_records import summarize

            print(f"wrote {summarize(Path(args.folder))}")
    except EnvironmentsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
