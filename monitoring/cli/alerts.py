"""`python -m monitoring alerts evaluate|dispatch <env> ...`: the local alert evaluator and the retrain dispatch.

evaluate <env> [--collector URL] [--at ISO] [--since ISO] [--loop [--interval S] [--max-rounds N]]
         [--no-retrain] [--pipeline-command CMD] [--rollout-command CMD]
    Apply the rendered drift alert rules to the collector's metrics; when one fires, retrain locally
    (pipeline -> gate -> register -> safe rollout). --since: count only metrics sent at or after this
    time (local only: the loop judges its own run, not an earlier run's metrics in the same collector). Exit 0: no alert, or the new model serves;
    3: the gate rejected the new model (the serving model stays); 1: an error or a failed step.
dispatch <env> --metrics M.json [--dry-run]
    Send GitHub the repository_dispatch 'retrain' event the Azure Logic App sends (token from the
    environment's `env:NAME` reference); --dry-run prints the request without the token.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from environments.cli_arguments import add_collector, add_environment
from environments.errors import ConfigError
from environments.loader import load_environment
from environments.model import Environment
from monitoring.alerts import (
    AlertError,
    CollectorMetrics,
    RuleResult,
    evaluate_rule,
    load_rules,
    rule_window,
)
from monitoring.retrain.dispatch import dispatch_request, send_dispatch, token_from_reference
from monitoring.retrain.errors import RetrainError
from monitoring.retrain.local import RetrainSteps, retrain_locally

LOG = logging.getLogger("streamscore.monitoring.alerts")
GATE_REJECTED_EXIT = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m monitoring alerts", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    evaluate = commands.add_parser(
        "evaluate", help="apply the drift alert rules to the local collector's metrics"
    )
    add_environment(evaluate)
    add_collector(evaluate)
    evaluate.add_argument("--at", help="evaluate at this ISO-8601 time instead of now")
    evaluate.add_argument(
        "--since",
        help="count only metrics sent at or after this ISO-8601 time (the rule's window, cut at this start)",
    )
    evaluate.add_argument("--loop", action="store_true", help="evaluate every evaluation frequency")
    evaluate.add_argument(
        "--interval", type=float, help="loop period in seconds (default: the rules' frequency)"
    )
    evaluate.add_argument("--max-rounds", type=int, help="stop the loop after this many evaluations")
    evaluate.add_argument("--no-retrain", action="store_true", help="report only; never start retraining")
    evaluate.add_argument("--pipeline-command", help="replaces `python -m ml pipeline {env}`")
    evaluate.add_argument("--rollout-command", help="replaces `python -m ml rollout {env}`")
    dispatch = commands.add_parser("dispatch", help="send the repository_dispatch 'retrain' event")
    add_environment(dispatch)
    dispatch.add_argument("--metrics", type=Path, required=True, help="drift records (JSON list)")
    dispatch.add_argument("--dry-run", action="store_true")
    return parser


def _evaluate_once(
    env: Environment, metrics: CollectorMetrics, at: datetime, since: datetime | None
) -> list[RuleResult]:
    _, rules = load_rules(env)
    results = []
    for rule in rules:
        start, end = rule_window(rule, at, since)
        rows = metrics.rows(rule.metric_name, rule.environment, start, end) if start < end else []
        results.append(evaluate_rule(rule, rows, at, since))
    return results


def _time(text: str | None, option: str) -> datetime | None:
    """An ISO-8601 option value (UTC when it names no offset), or None when not given."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise AlertError(f"{option}: {text!r} is not an ISO-8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _retrain(env: Environment, args: argparse.Namespace) -> int:
    steps = RetrainSteps.for_environment(env.name, args.pipeline_command, args.rollout_command)
    outcome = retrain_locally(steps)
    print(json.dumps({"retrain": outcome.to_json()}), flush=True)
    if outcome.status == "rolled_out":
        return 0
    return GATE_REJECTED_EXIT if outcome.status == "gate_rejected" else 1


def _evaluate(args: argparse.Namespace) -> int:
    env = load_environment(args.environment)
    if env.target != "local" and not args.collector:
        raise AlertError(
            f"{env.name}: Azure Monitor evaluates these rules itself; pass --collector to evaluate here"
        )
    if args.collector:
        url = args.collector
    elif env.local is not None:
        url = f"http://127.0.0.1:{env.local.collector_port}"
    else:
        raise AlertError(f"{env.name}: no local collector; pass --collector")
    metrics = CollectorMetrics(url)
    at = _time(args.at, "--at")
    since = _time(args.since, "--since")
    firing = False
    rounds = 0
    while True:
        moment = at or datetime.now(UTC)
        results = _evaluate_once(env, metrics, moment, since)
        fired = [r for r in results if r.fired]
        report = {"at": moment.isoformat(), "rules": [r.to_json() for r in results]}
        if since is not None:
            report["since"] = since.isoformat()
        print(json.dumps(report), flush=True)
        code = 0
        if fired and not firing:
            LOG.warning("alert: %s fired", ", ".join(r.rule.name for r in fired))
            if not args.no_retrain:
                code = _retrain(env, args)
        firing = bool(fired)  # one retraining per firing; again only after the alert resolved
        rounds += 1
        if not args.loop or (args.max_rounds and rounds >= args.max_rounds):
            return code
        if args.interval is not None:
            time.sleep(args.interval)
        else:
            time.sleep(min(r.rule.frequency for r in results).total_seconds())


def _dispatch(args: argparse.Namespace) -> int:
    env = load_environment(args.environment)
    records = json.loads(args.metrics.read_text(encoding="utf-8"))
    drifted = [r for r in records if r.get("drifted")]
    token = "<token>" if args.dry_run else token_from_reference(env.github.dispatch_token)
    request = dispatch_request(env.github.repository, token, env.name, env.model.name, drifted)
    if args.dry_run:
        print(
            json.dumps(
                {"method": request.method, "url": str(request.url), "body": json.loads(request.content)}
            )
        )
        return 0
    with httpx.Client(timeout=30) as client:
        send_dispatch(request, client)
    print(f"repository_dispatch 'retrain' sent to {env.github.repository}")
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        return _evaluate(args) if args.command == "evaluate" else _dispatch(args)
    except (ConfigError, AlertError, RetrainError, OSError, json.JSONDecodeError) as exc:
        print(f"alerts: {exc}", file=sys.stderr)
        return 1
