"""The command-line arguments every domain shares, defined once so that each has one name and one meaning.

- `environment`: positional, the environment's name (`local`, `dev`, `staging`, `prod`, or one of yours);
- `--collector URL`: the local Application Insights collector (default: `local.collector_port`);
- `--blob-connection-string-env VAR`, `--kafka-connection-string-env VAR`: the *name* of a variable holding a
  connection string; a secret never goes on a command line, where `ps` and shell history would show it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from environments.errors import EnvironmentsError

ENVIRONMENT_HELP = "environment name (local, dev, staging, prod, or one of yours in environments/)"


class CommandLineError(EnvironmentsError):
    """A command-line argument names something that is not there (e.g. an unset variable)."""


def add_environment(
    parser: argparse.ArgumentParser, default: str | None = None, required: bool = True, purpose: str = ""
) -> None:
    """The positional `environment`. Optional (None, or `default`) only for commands that use it for its
    data schema and could do without; `purpose` says what for."""
    text = ENVIRONMENT_HELP + (f"; {purpose}" if purpose else "")
    if required and default is None:
        parser.add_argument("environment", help=text)
    else:
        parser.add_argument(
            "environment",
            nargs="?",
            default=default,
            help=text + (f" (default {default})" if default else ""),
        )


def add_collector(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--collector",
        metavar="URL",
        help="local collector URL (default: http://127.0.0.1:<local.collector_port>)",
    )


def add_blob_connection(parser: argparse.ArgumentParser, default_help: str) -> None:
    parser.add_argument(
        "--blob-connection-string-env",
        metavar="VAR",
        help=f"variable holding a storage connection string (default: {default_help})",
    )


def add_kafka_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kafka-connection-string-env",
        metavar="VAR",
        help="variable holding an Event Hubs connection string (SASL PLAIN)",
    )


def variable_value(flag: str, variable: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of the variable a `--...-env` flag names (None without the flag); an unset one is an error."""
    if variable is None:
        return None
    value = (os.environ if environ is None else environ).get(variable)
    if not value:
        raise CommandLineError(f"{flag} {variable}: environment variable {variable} is not set")
    return value
