"""`python -m environments render [ENVIRONMENT ...] [--out DIR | --update-golden]`: render every template.

Into `build/<env>/` (every environment by default); `--update-golden` rewrites one environment's golden
files (`environments/golden_render.py`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.loader import environment_names


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments render", description=__doc__.splitlines()[0]
    )
    parser.add_argument("environment", nargs="*", help="environment names (default: all)")
    parser.add_argument(
        "--out", type=Path, help="one environment: render into this folder instead of build/<env>/"
    )
    parser.add_argument(
        "--update-golden",
        action="store_true",
        help="one environment: rewrite its golden files (environments/tests/golden/<env>/) from a fresh render",
    )
    args = parser.parse_args(argv)
    from environments.deploy.stack_lock import hold_for_render
    from environments.golden_render import update_golden
    from environments.render import build_dir, render_environment

    if (args.out or args.update_golden) and len(args.environment) != 1:
        print("render: --out and --update-golden take exactly one environment", file=sys.stderr)
        return 2
    if args.update_golden:
        print(f"{args.environment[0]}: golden files rewritten in {update_golden(args.environment[0])}/")
        return 0
    for name in args.environment or environment_names():
        if args.out:
            written = render_environment(name, out=args.out)
        else:
            with hold_for_render(build_dir(name)):
                written = render_environment(name)
        print(f"{name}: {len(written)} files rendered into {args.out or f'build/{name}'}/")
    return 0
