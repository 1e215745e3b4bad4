"""`python -m <domain> <command> ...` for every domain: a command name picks a module with `main(argv) -> int`,
imported only when chosen, so a command loads only what it uses."""

from __future__ import annotations

import importlib
import sys


def dispatch(domain: str, commands: dict[str, str], argv: list[str] | None = None) -> int:
    """Run `commands[argv[0]].main(argv[1:])`; an unknown or missing command prints the usage and gives 2."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in commands:
        print(f"usage: python -m {domain} {{{','.join(commands)}}} ...", file=sys.stderr)
        return 2
    return int(importlib.import_module(commands[args[0]]).main(args[1:]) or 0)
