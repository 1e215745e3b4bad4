"""`python -m export run <env> --from T1 --to T2 | --last-hours N`: export inference records of a window to blob Parquet.

Local: reads the collector's query API and writes to Azurite. Azure: runs the export KQL against the
environment's Application Insights and writes to its storage account, both with `azure_credential()`.
Every whole hour the window touches is (re)written, so windows may overlap freely. `--last-hours N` is the
scheduled run's window (the Azure ML export schedule, decision 0016): the N whole hours that ended at
least 15 minutes ago (ingestion delay).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime

from environments.cli_arguments import add_blob_connection, add_collector, add_environment, variable_value
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from export.blob_sink import BlobSink
from export.errors import ExportError
from export.exporter import export_window
from export.sources import RecordSource
from export.sources.collector import CollectorSource
from export.sources.log_analytics import LogAnalyticsSource
from export.targets import azure_target, local_target
from export.windows import parse_instant, recent_window


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m export run", description=__doc__.splitlines()[0])
    add_environment(parser)
    parser.add_argument("--from", dest="start", help="window start, ISO-8601 (UTC if no offset)")
    parser.add_argument("--to", dest="end", help="window end (exclusive), ISO-8601")
    parser.add_argument(
        "--last-hours",
        type=int,
        help="instead of --from/--to: the N whole hours that ended at least 15 minutes ago (the schedule's)",
    )
    add_collector(parser)
    add_blob_connection(
        parser, "local: $STREAMSCORE_BLOB_CONNECTION_STRING, else Azurite's development account"
    )
    parser.add_argument("--container", help="blob container (default: storage.inference_container)")
    args = parser.parse_args(argv)
    by_times = args.start is not None or args.end is not None
    if by_times == (args.last_hours is not None) or (by_times and not (args.start and args.end)):
        parser.error("give either --from and --to, or --last-hours")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        env = load_environment(args.environment)
        if args.last_hours is not None:
            start, end = recent_window(datetime.now(UTC), args.last_hours)
        else:
            start, end = parse_instant(args.start, "--from"), parse_instant(args.end, "--to")
        source: RecordSource
        if env.target == "local":
            blob = variable_value("--blob-connection-string-env", args.blob_connection_string_env)
            target = local_target(env, args.collector, blob)
            source = CollectorSource(target.collector_url)
            container = args.container or target.container
            sink = BlobSink.from_connection_string(target.blob_connection_string, container)
        else:
            azure = azure_target(env)
            source = LogAnalyticsSource(azure.app_insights_resource_id)
            sink = BlobSink.from_account(azure.storage_account, args.container or azure.container)
        report = export_window(start, end, source, sink, env.data_schema())
    except (ExportError, EnvironmentsError) as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 1 if report.refused else 0
