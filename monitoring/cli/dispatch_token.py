"""`python -m monitoring dispatch-token ENVIRONMENT --token-file FILE`: store (or rotate) the GitHub token
the retrain Logic App dispatches `retrain` with, in the environment's Key Vault, through ARM.

The write is a control-plane call, so it works from outside the network; the Logic App gets the new value
at the next deploy (ARM resolves the Key Vault reference of its securestring parameter while deploying:
`nox -s deploy-<env> -- --stage infra`, decision 0016). The token is read from a file, never an argument,
so it is in no shell history or process list, and it is never printed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments.cli_arguments import add_environment
from environments.errors import EnvironmentsError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring dispatch-token", description=__doc__.splitlines()[0]
    )
    add_environment(parser)
    parser.add_argument("--token-file", type=Path, required=True, help="file holding the token (one line)")
    args = parser.parse_args(argv)
    from environments.deploy.azure_apply import default_clients
    from environments.deploy.vault_parameters import store_secret
    from environments.loader import load_environment
    from monitoring.render_context import dispatch_token_secret

    try:
        env = load_environment(args.environment)
        token = args.token_file.read_text(encoding="utf-8").strip()
        if not token:
            raise EnvironmentsError(f"--token-file {args.token_file} holds no token")
        secret = dispatch_token_secret(env)
        store_secret(env, default_clients(env), secret, token, "GitHub token: repository_dispatch retrain")
    except OSError as exc:
        print(f"dispatch-token: --token-file {args.token_file}: {exc.strerror}", file=sys.stderr)
        return 1
    except EnvironmentsError as exc:
        print(f"dispatch-token: {exc}", file=sys.stderr)
        return 1
    print(
        f"{args.environment}: Key Vault secret {secret} stored; the retrain Logic App takes it at the next "
        f"deploy (nox -s deploy-{args.environment} -- --stage infra)"
    )
    return 0
