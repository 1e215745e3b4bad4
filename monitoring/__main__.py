"""`python -m monitoring <command> ...`: each command lives in `monitoring/cli/<command>.py` with `main(argv) -> int`."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "collector": "monitoring.cli.collector",
    "drift": "monitoring.cli.drift",
    "drift-pipeline": "monitoring.cli.drift_pipeline",
    "alerts": "monitoring.cli.alerts",
    "bench": "monitoring.cli.bench",
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        print(f"usage: python -m monitoring {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    return int(importlib.import_module(COMMANDS[args[0]]).main(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
