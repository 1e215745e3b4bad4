"""`python -m monitoring <command> ...`: each command lives in `monitoring/cli/<command>.py` with `main(argv) -> int`."""

from __future__ import annotations

import sys

from environments.command_dispatch import dispatch

COMMANDS = {
    "collector": "monitoring.cli.collector",
    "drift": "monitoring.cli.drift",
    "drift-pipeline": "monitoring.cli.drift_pipeline",
    "alerts": "monitoring.cli.alerts",
    "bench": "monitoring.cli.bench",
    "dashboard": "monitoring.cli.dashboard",
    "dispatch-token": "monitoring.cli.dispatch_token",
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("monitoring", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
