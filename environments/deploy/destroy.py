"""`python -m environments destroy <env> [--yes] [--plan-only]`: render -> plan -> confirm -> delete.

A thin apply over the pure plan (`destroy_plan.py`): the resource group is deleted through
azure-mgmt-resource (`begin_delete`, waited for), with `azure_credential()` (`az login` on a laptop).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from environments.deploy.azure_apply import ApplyError, default_clients
from environments.deploy.azure_clients import AzureClients
from environments.deploy.command import print_plan
from environments.deploy.destroy_plan import build_destroy_plan
from environments.deploy.plan import Plan
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.model import Environment
from environments.render import REPO_ROOT, build_dir, render_environment


def apply_destroy(
    env: Environment, plan: Plan, clients: AzureClients, report: Callable[[str], Any] = print
) -> None:
    """Delete what the plan says, and wait until Azure has deleted it."""
    for index, step in enumerate(plan.steps, start=1):
        report(f"[{index}/{len(plan.steps)}] {step.kind} {step.name}")
        if step.kind != "resource-group-delete":
            raise ApplyError(f"step {step.name}: unknown kind {step.kind}")
        group = step.request["resourceGroup"]
        try:
            clients.resource_groups().begin_delete(group).result()
        except Exception as exc:  # an SDK error: keep its message, name the step
            raise ApplyError(
                f"step {step.name}: deleting resource group {group}: {type(exc).__name__}: {exc}"
            ) from exc


def confirmed(plan: Plan, ask: Callable[[str], str]) -> bool:
    """The person types the resource group's name to confirm (as the portal asks)."""
    group = str(plan.steps[0].request["resourceGroup"])
    answer = ask(f"Delete resource group {group} of {plan.environment} and everything in it? Type its name: ")
    return answer.strip() == group


def destroy(
    env_name: str,
    yes: bool = False,
    plan_only: bool = False,
    root: Path = REPO_ROOT,
    clients: AzureClients | None = None,
    ask: Callable[[str], str] = input,
) -> int:
    env = load_environment(env_name, root / "environments")
    if env.target != "azure" or env.azure is None:
        raise EnvironmentsError(f"{env_name} is not an Azure environment (stop the local loop with Ctrl-C)")
    console = Console(width=None if Console().is_terminal else 200)
    render_environment(env_name, root)
    if not plan_only:
        clients = clients or default_clients(env)
    exists = None if plan_only else _group_exists(env, clients)
    plan = build_destroy_plan(env, build_dir(env_name, root), exists)
    if not plan.steps:
        console.print(
            f"{env_name}: resource group {env.azure.resource_group} does not exist; nothing to destroy"
        )
        return 0
    print_plan(plan, console, title="Destroy plan")
    step = plan.steps[0]
    for resource in step.request["deletes"]:  # names are often ARM expressions in brackets: no markup
        console.print(f"  deletes {resource['type']} {resource['name']}", markup=False, highlight=False)
    for warning in step.request["sharedWithOtherEnvironments"]:
        console.print(
            f"  also deletes, shared with other environments: {warning}", markup=False, style="bold red"
        )
    if plan_only:
        return 0
    if not yes and not confirmed(plan, ask):
        console.print(f"{env_name}: not confirmed; nothing deleted")
        return 1
    assert clients is not None
    apply_destroy(env, plan, clients, report=console.print)
    console.print(f"{env_name}: resource group {env.azure.resource_group} deleted")
    return 0


def _group_exists(env: Environment, clients: AzureClients | None) -> bool:
    assert env.azure is not None and clients is not None
    try:
        return bool(clients.resource_groups().check_existence(env.azure.resource_group))
    except Exception as exc:  # no credentials, no network, no rights: say what to do
        raise ApplyError(
            f"{env.name}: reading the resource group failed ({type(exc).__name__}: {exc}); sign in with "
            "az login (README: Deploying from a laptop), or print the plan with --plan-only"
        ) from exc
