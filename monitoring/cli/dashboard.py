"""`python -m monitoring dashboard <env> [--collector URL] [--hours H | --from ISO --to ISO] [--out F.html]`

Draw the monitoring dashboard (the Azure Monitor workbook's panels) from the local collector's query API
as one self-contained HTML page. Default page: build/<env>/monitoring/dashboard.html.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from environments import render
from environments.cli_arguments import add_collector, add_environment
from environments.errors import ConfigError
from environments.loader import load_environment
from monitoring.dashboard.build import dashboard_html
from monitoring.dashboard.collector_source import DashboardError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring dashboard", description=__doc__.splitlines()[0]
    )
    add_environment(parser)
    add_collector(parser)
    parser.add_argument("--hours", type=float, default=24.0, help="time range ending now (default 24)")
    parser.add_argument("--from", dest="start", help="start of the range (ISO-8601; with --to)")
    parser.add_argument("--to", dest="end", help="end of the range (ISO-8601, exclusive)")
    parser.add_argument("--out", type=Path, help="the HTML page to write")
    return parser


def _moment(text: str, flag: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DashboardError(f"{flag} {text!r} is not an ISO-8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        env = load_environment(args.environment)
        if args.collector:
            url = args.collector
        elif env.local is not None:
            url = f"http://127.0.0.1:{env.local.collector_port}"
        else:
            raise DashboardError(
                f"{env.name}: no local collector; pass --collector or open the Azure workbook"
            )
        if (args.start is None) != (args.end is None):
            raise DashboardError("--from and --to go together")
        if args.start:
            start, end = _moment(args.start, "--from"), _moment(args.end, "--to")
        else:
            end = datetime.now(UTC)
            start = end - timedelta(hours=args.hours)
        page = dashboard_html(env, url, start, end)
        out = args.out or render.build_dir(env.name) / "monitoring" / "dashboard.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except (ConfigError, DashboardError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0
