"""`python -m environments <command> ...`: each command lives in `environments/cli/<command>.py` with
`main(argv) -> int` (render, validate, deploy, destroy, rotate-key, schemas refresh, security, release,
render-drift, runner, bench-summary)."""

from __future__ import annotations

import sys

from environments.command_dispatch import dispatch

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
    return dispatch("environments", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
