"""The plan as a table: the rows the terminal prints (rich) and the pull-request job summary shows
(markdown, `deploy --summary $GITHUB_STEP_SUMMARY`) come from one function, so they cannot disagree."""

from __future__ import annotations

from environments.deploy.plan import Plan

PLAN_COLUMNS = ("#", "kind", "name", "target", "from", "network")


def plan_rows(plan: Plan) -> list[tuple[str, ...]]:
    return [
        (
            str(index),
            step.kind,
            step.name,
            step.target,
            step.source,
            "inside the network" if step.needs_network else "",
        )
        for index, step in enumerate(plan.steps, start=1)
    ]


def _cell(text: str) -> str:
    """A markdown table cell: pipes escaped, line breaks as <br>, code-quoted when not empty."""
    escaped = text.replace("|", "\\|").replace("\n", "<br>")
    return f"`{escaped}`" if escaped and not escaped.isdigit() else escaped


def plan_markdown(plan: Plan, title: str = "Deployment plan", note: str = "") -> str:
    """`### <title>: <env>`, an optional note, one row per step, then the workloads outside the network."""
    lines = [f"### {title}: {plan.environment}", ""]
    if note:
        lines += [note, ""]
    lines += ["| " + " | ".join(PLAN_COLUMNS) + " |", "|" + "---|" * len(PLAN_COLUMNS)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in plan_rows(plan)]
    if plan.outside:
        lines += ["", "**Outside the network** (apply refuses them unless `--accept-outside-network`):", ""]
        lines += [f"- {workload.line()}" for workload in plan.outside]
    if plan.risks:
        lines += ["", "**Documented risks** (the service's documentation says this will not work):", ""]
        lines += [f"- {risk}" for risk in plan.risks]
    return "\n".join(lines) + "\n\n"
