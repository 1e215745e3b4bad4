"""`python -m ml registry-access <env> [<env> ...]`: grant environments' workspaces the registry role.

Run once by the registry's owner (signed in with rights on the owner's resource group), after each
environment's first infrastructure deploy, never by the environments' own deploys: they would need
write rights in the owner's resource group (docs/identities.md). Idempotent.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial

from environments.deploy.azure_apply import resolve
from environments.deploy.azure_clients import session_clients
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from ml.registry import registry_access
from ml.registry.errors import RegistryError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml registry-access", description=__doc__.splitlines()[0])
    parser.add_argument(
        "environments", nargs="+", help="Azure environments whose workspaces read the registry"
    )
    args = parser.parse_args(argv)
    try:
        for name in args.environments:
            env = load_environment(name)
            if env.azure is None:
                raise RegistryError(f"{name} is not an Azure environment")
            deployment = registry_access.registry_access_deployment(env)
            registry_access.apply(deployment, session_clients(partial(resolve, env.azure.subscription_id)))
            print(
                f"{name}: workspace may read the registry ({deployment.name} in {deployment.resource_group})"
            )
    except (EnvironmentsError, RegistryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
