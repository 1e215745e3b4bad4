"""`python -m environments validate [ENVIRONMENT ...]`: render, then validate the rendered ARM templates."""

from __future__ import annotations

import argparse

from environments.loader import environment_names


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments validate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("environment", nargs="*", help="environment names (default: all)")
    args = parser.parse_args(argv)
    from environments.render import render_environment
    from environments.validate import validate_environment

    for name in args.environment or environment_names():
        render_environment(name)
        checked = validate_environment(name)
        print(f"{name}: {len(checked)} ARM templates valid")
    return 0
