"""`python -m environments rotate-key ENVIRONMENT`: rotate the online endpoint key the Stream Analytics job
calls with (endpoint, job function, Key Vault; environments/deploy/endpoint_key.py)."""

from __future__ import annotations

import argparse

from environments.cli_arguments import add_environment


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments rotate-key", description=__doc__.splitlines()[0]
    )
    add_environment(parser)
    args = parser.parse_args(argv)
    from environments.deploy.azure_apply import default_clients
    from environments.deploy.endpoint_key import KeyPlaces, rotate
    from environments.loader import load_environment

    env = load_environment(args.environment)
    KeyPlaces.of(env)  # an Azure environment, or an error naming it
    now = rotate(env, default_clients(env))
    print(
        f"{args.environment}: the stream job calls the endpoint with its {now} key; the other key is new and unused"
    )
    return 0
