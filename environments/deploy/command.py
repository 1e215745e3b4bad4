"""`python -m environments deploy <env>`: render -> validate -> plan -> apply (Azure) or start (local)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from environments.deploy.azure_apply import ApplyError, apply_plan, default_clients
from environments.deploy.azure_clients import AzureClients
from environments.deploy.azure_state import AzureState, read_azure_state
from environments.deploy.ml_operations import registry_owner, rollout_registry_assets
from environments.deploy.plan import Plan, build_plan, select_stage
from environments.deploy.release import PROMOTED_FROM, preview_release, read_release
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.model import Environment
from environments.render import REPO_ROOT, build_dir, render_environment
from environments.validate import validate_environment


def print_plan(plan: Plan, console: Console, title: str = "Deployment plan") -> None:
    table = Table(title=f"{title}: {plan.environment}")
    for column in ("#", "kind", "name", "target", "from"):
        table.add_column(column)
    for index, step in enumerate(plan.steps, start=1):
        table.add_row(str(index), step.kind, step.name, step.target, step.source)
    console.print(table)


def _read_state(env: Environment, clients: AzureClients, build: Path) -> AzureState:
    try:
        return read_azure_state(env, clients, rollout_registry_assets(registry_owner(env), build))
    except Exception as exc:  # no credentials, no network, no rights: say what to do
        raise ApplyError(
            f"{env.name}: reading what is deployed failed ({type(exc).__name__}: {exc}); sign in "
            "(az login, or OIDC in the workflow), or plan a first deploy with --plan-only --offline"
        ) from exc


def deploy(
    env_name: str,
    plan_only: bool = False,
    plan_out: str | None = None,
    stage: str | None = None,
    offline: bool = False,
    once: bool = False,
    events: int = 3000,
    root: Path = REPO_ROOT,
    release: Path | None = None,
) -> int:
    env = load_environment(env_name, root / "environments")
    console = Console(width=None if Console().is_terminal else 200)
    render_environment(env_name, root)
    validate_environment(env_name, root)
    if env.target == "local":
        from environments.deploy.local import run_local

        return run_local(env, root, plan_only=plan_only, once=once, events=events)
    if offline and not plan_only:
        raise EnvironmentsError("--offline plans against an empty subscription: use it with --plan-only")
    clients = None if offline else default_clients(env)
    # The plan depends on what is deployed (resource group, stream job state and definition): read it once.
    state = AzureState.empty() if clients is None else _read_state(env, clients, build_dir(env_name, root))
    given = None if release is None else read_release(release)
    if given is None and offline and env_name in PROMOTED_FROM:
        given = preview_release(build_dir(env_name, root), env.model.name)  # the PR check's preview
    plan = select_stage(build_plan(env, build_dir(env_name, root), state, given), stage)
    print_plan(plan, console)
    if plan_out:
        Path(plan_out).write_text(plan.to_json() + "\n", encoding="utf-8")
        console.print(f"plan with request bodies written to {plan_out}")
    if plan_only:
        return 0
    apply_plan(env, plan, root, clients=clients, report=console.print)
    console.print(f"{env_name}: deployed")
    return 0
