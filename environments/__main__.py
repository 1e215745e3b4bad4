"""`python -m environments <command> ...`: each command lives in `environments/cli/<command>.py` with
`main(argv) -> int` (render, validate, deploy, destroy, rotate-key, schemas refresh, security, release,
render-drift, runner, bench-summary)."""

from __future__ import annotations

import sys

from environments.command_dispatch import dispatch
from environments.errors import EnvironmentsError

COMMANDS = {
    "render": "environments.cli.render",
    "validate": "environments.cli.validate",
    "deploy": "environments.cli.deploy",
    "destroy": "environments.cli.destroy",
    "schemas": "environments.cli.schemas",
    "rotate-key": "environments.cli.rotate_key",
    "security": "environments.cli.security",
    "release": "environments.cli.release",
    "render-drift": "environments.cli.render_drift",
    "runner": "environments.cli.runner",
    "bench-summary": "environments.cli.bench_summary",
}


def main(argv: list[str] | None = None) -> int:
    """Every command's own errors (EnvironmentsError: ConfigError, a failed deploy, ...) end it here, in
    one line and exit code 1."""
    try:
        return dispatch("environments", COMMANDS, argv)
    except EnvironmentsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
