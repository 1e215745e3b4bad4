"""`python -m export <command> ...`: each command lives in `export/cli/<command>.py` with `main(argv) -> int`."""

from __future__ import annotations

import sys

from environments.command_dispatch import dispatch

COMMANDS = {
    "run": "export.cli.run",
    "bench": "export.cli.bench",
    "schedule": "export.cli.schedule",
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("export", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
