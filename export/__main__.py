"""`python -m export <command> ...`: each command lives in `export/cli/<command>.py` with `main(argv) -> int`."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "run": "export.cli.run",
    "bench": "export.cli.bench",
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        print(f"usage: python -m export {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    return int(importlib.import_module(COMMANDS[args[0]]).main(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
