"""`python -m environments deploy <env>`: render -> validate -> plan -> apply (Azure) or start (local)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from environments.deploy.azure_apply import ApplyError, apply_plan, default_clients
from environments.deploy.azure_clients import AzureClients
from environments.deploy.azure_state import AzureState, read_azure_state
from environments.deploy.ml_operations import ml_asset_versions
from environments.deploy.plan import Plan, build_plan, select_stage
from environments.deploy.plan_table import PLAN_COLUMNS, plan_markdown, plan_rows
from environments.deploy.release import PROMOTED_FROM, preview_release, read_release
from environments.deploy.stack_lock import StackInUseError, hold_rendered_folder
from environments.drift_scenario import DriftScenario, parse_scenario
from environments.errors import EnvironmentsError
from environments.loader import load_environment
from environments.model import Environment
from environments.render import REPO_ROOT, build_dir, render_environment
from environments.validate import validate_environment


def print_plan(plan: Plan, console: Console, title: str = "Deployment plan") -> None:
    table = Table(title=f"{title}: {plan.environment}")
    for column in PLAN_COLUMNS:
        table.add_column(column)
    for row in plan_rows(plan):
        table.add_row(*row)
    console.print(table)
    for workload in plan.outside:
        console.print(f"[bold red]outside the network:[/] {workload.line()}")
    for risk in plan.risks:
        console.print(f"[bold red]documented risk:[/] {risk}")
    inside = [str(index) for index, step in enumerate(plan.steps, start=1) if step.needs_network]
    if inside:
        console.print(
            f"steps {', '.join(inside)} reach data planes closed to the internet (network: private): apply "
            "them from inside the environment's virtual network (its self-hosted runner, an Azure ML compute "
            "instance there, a VPN or Bastion: docs/runners.md); planning works anywhere"
        )


def refuse_outside_network(plan: Plan, accepted: bool) -> None:
    """Apply refuses to deploy a workload that cannot reach what it uses (the plan names each and why),
    unless the person deploying accepts it (`--accept-outside-network`); `--plan-only` always works."""
    if plan.outside and not accepted:
        raise EnvironmentsError(
            f"{plan.environment}: refusing to deploy workloads that cannot work in a private network: "
            + "; ".join(workload.line() for workload in plan.outside)
            + ". Move what they read at run time inside the network or to deploy time (decision 0016: a "
            "scheduled Azure ML job, or a Key Vault reference ARM resolves), deploy them anyway with "
            "--accept-outside-network (they fail at run time), or use network: public (a trial environment)"
        )


def append_summary(path: Path, plan: Plan, offline: bool) -> None:
    """Append the plan as a markdown table (a workflow's `$GITHUB_STEP_SUMMARY`)."""
    note = "Planned offline: a first deploy into an empty subscription." if offline else ""
    with path.open("a", encoding="utf-8") as summary:
        summary.write(plan_markdown(plan, note=note))


def _read_state(env: Environment, clients: AzureClients, build: Path) -> AzureState:
    try:
        return read_azure_state(env, clients, ml_asset_versions(env, build))
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
    summary: Path | None = None,
    drift_scenario: str | None = None,
    accept_outside_network: bool = False,
) -> int:
    env = load_environment(env_name, root / "environments")
    if drift_scenario is not None and env.target != "local":
        raise EnvironmentsError("--drift-scenario is for the local loop only")
    scenario = None
    if env.target == "local":
        from environments.deploy.local_plan import drift_scenario as checked_scenario

        # Refused before anything is rendered or started: one line naming the feature and the problem.
        asked = parse_scenario(drift_scenario) if drift_scenario is not None else None
        scenario = checked_scenario(env, asked)
    console = Console(width=None if Console().is_terminal else 200)
    if env.target == "local":
        return _deploy_local(env, root, plan_only, once, events, console, scenario)
    written = render_environment(env_name, root)
    print(f"rendered {len(written)} files into {build_dir(env_name, root)}", flush=True)
    validate_environment(env_name, root, progress=lambda line: print(line, flush=True))
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
    if summary is not None:
        append_summary(summary, plan, offline)
    if plan_out:
        Path(plan_out).write_text(plan.to_json() + "\n", encoding="utf-8")
        console.print(f"plan with request bodies written to {plan_out}")
    if plan_only:
        return 0
    refuse_outside_network(plan, accepted=accept_outside_network)
    apply_plan(env, plan, root, clients=clients, report=console.print)
    console.print(f"{env_name}: deployed")
    return 0


def _deploy_local(
    env: Environment,
    root: Path,
    plan_only: bool,
    once: bool,
    events: int,
    console: Console,
    scenario: DriftScenario | None,
) -> int:
    """Render, validate and run the local stack, holding `build/<env>/` against a second stack."""
    from environments.deploy.local import run_local, stack_state_dir

    try:
        with hold_rendered_folder(build_dir(env.name, root), stack_state_dir(env, root)):
            written = render_environment(env.name, root)
            print(f"rendered {len(written)} files into {build_dir(env.name, root)}", flush=True)
            validate_environment(env.name, root, progress=lambda line: print(line, flush=True))
            return run_local(env, root, plan_only=plan_only, once=once, events=events, scenario=scenario)
    except StackInUseError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 1
