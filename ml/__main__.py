"""`python -m ml <command> ...`: each command lives in `ml/cli/<command>.py` with `main(argv) -> int`."""

from __future__ import annotations

import sys

from environments.command_dispatch import dispatch

COMMANDS = {
    "pipeline": "ml.cli.pipeline",
    "serve": "ml.cli.serve",
    "rollout": "ml.cli.rollout",
    "data": "ml.cli.data",
    "bench": "ml.cli.bench",
    "registry-access": "ml.cli.registry_access",
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("ml", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
