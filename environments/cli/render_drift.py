"""`python -m environments render-drift BASE`: what this checkout's rendered files change against another
rendering (pr.yml: main's build/ folder), by resource."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments render-drift", description=__doc__.splitlines()[0]
    )
    parser.add_argument("base", type=Path, help="the other rendering's build/ folder (pr.yml: main's)")
    parser.add_argument("--summary", type=Path, help="also append the markdown to this file")
    args = parser.parse_args(argv)
    from environments.render_drift_command import render_drift

    print(render_drift(args.base, summary=args.summary), end="")
    return 0
