"""`python -m environments runner ENVIRONMENT [ENVIRONMENT ...]`: the GitHub Actions runs-on labels of an
environment's deploy jobs (its `runner:` key; one environment: a list, several: an object by name)."""

from __future__ import annotations

import argparse


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments runner", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "environment", nargs="+", help="one environment (a list of labels) or several (an object)"
    )
    parser.add_argument(
        "--github-output", action="store_true", help="also write labels=<json> to $GITHUB_OUTPUT"
    )
    args = parser.parse_args(argv)
    from environments.loader import load_environment
    from environments.runner_labels import runner_labels, write_github_output

    labels = runner_labels([load_environment(name) for name in args.environment])
    print(labels)
    if args.github_output:
        write_github_output(labels)
    return 0
