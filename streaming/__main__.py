"""`python -m streaming <command> ...`: each command lives in `streaming/cli/<command>.py` with `main(argv) -> int`."""

from __future__ import annotations

import sys

from environments.command_dispatch import dispatch

COMMANDS = {
    "run": "streaming.cli.run",
    "explain": "streaming.cli.explain",
    "test": "streaming.cli.test",
    "produce": "streaming.cli.produce",
    "bench": "streaming.cli.bench",
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("streaming", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
