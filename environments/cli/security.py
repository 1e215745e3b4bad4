"""`python -m environments security [ENVIRONMENT ...]`: checkov, zizmor, actionlint and bandit over build/<env>/ (render
first), .github/ and the code, triaged against tools/security/allow/."""

from __future__ import annotations

import argparse


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments security", description=__doc__.splitlines()[0]
    )
    parser.add_argument("environment", nargs="*", help="Azure environment names (default: every Azure one)")
    args = parser.parse_args(argv)
    from environments.render import REPO_ROOT
    from environments.security.scan import scan, summary

    lines, passed = summary(scan(REPO_ROOT, args.environment or None))
    print("\n".join(lines))
    return 0 if passed else 1
