"""`python -m export schedule <env>`: create or update the Azure ML schedule of the inference export.

What the deploy's `export-schedule` step runs (an Azure ML data-plane call: from inside the network in a
`network: private` environment). It creates the export environment in the workspace unless that version
exists, then the schedule of the rendered job (`export/schedule.py`). The Azure calls go through apply's
clients when the deploy runs it (`azure_session`), else `DefaultAzureCredential`.
"""

from __future__ import annotations

import argparse
import logging
import sys

from environments.cli_arguments import add_environment
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.model import Environment
from export.errors import ExportError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m export schedule", description=__doc__.splitlines()[0])
    add_environment(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)
    try:
        env = load_environment(args.environment)
        name = _create(env)
    except (ExportError, EnvironmentsError) as exc:
        print(f"export schedule: {exc}", file=sys.stderr)
        return 1
    print(f"export schedule {name}: every {env.monitoring.export_interval_minutes} minute(s)")
    return 0


def _create(env: Environment) -> str:
    from azure.ai.ml import load_environment as load_ml_environment
    from azure.core.exceptions import ResourceNotFoundError

    from environments.deploy.azure_clients import deployed_setting, session_clients, session_root
    from environments.naming import resource_names
    from environments.render import build_dir
    from export.errors import ExportConfigError
    from export.schedule import CLIENT_ID_SETTING, environment_path, export_schedule
    from export.targets import resolve_env_ref

    if env.azure is None:
        raise ExportConfigError(f"{env.name}: the export schedule is for Azure environments")
    azure = env.azure
    clients = session_clients(lambda: resolve_env_ref(azure.subscription_id, "azure.subscription_id"))
    build = build_dir(env.name, session_root())
    plan = export_schedule(env, build, clients.subscription_id, deployed_setting(CLIENT_ID_SETTING))
    client = clients.ml(azure.resource_group, resource_names(env).workspace)
    environment = load_ml_environment(environment_path(build))
    try:
        client.environments.get(environment.name, version=environment.version)
    except ResourceNotFoundError:
        client.environments.create_or_update(environment)
    return str(client.schedules.begin_create_or_update(plan).result().name)
