"""The pull-request job summary: each environment's offline plan as a markdown table with the same rows
the terminal prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.deploy.plan import Plan, Step
from environments.deploy.plan_table import plan_markdown


def test_the_markdown_table_has_one_row_per_step_with_cells_escaped() -> None:
    plan = Plan(
        "dev",
        (
            Step("resource-group", "resource-group", "rg-streamscore-dev"),
            Step("arm-deployment", "shared-infra", "rg-streamscore-dev", source="build/dev/a|b.json"),
        ),
    )
    text = plan_markdown(plan, note="Planned offline.")
    lines = text.splitlines()
    assert lines[0] == "### Deployment plan: dev"
    assert "Planned offline." in lines
    header = lines.index("| # | kind | name | target | from | network |")
    assert lines[header + 1] == "|---|---|---|---|---|---|"
    assert lines[header + 2] == "| 1 | `resource-group` | `resource-group` | `rg-streamscore-dev` |  |  |"
    assert lines[header + 3].endswith("| `build/dev/a\\|b.json` |  |"), "a pipe in a cell does not split it"
    assert lines[header + 4 :] == [""], "a blank line ends the table"


def test_deploy_appends_the_offline_plan_to_the_summary_as_the_terminal_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from environments.deploy.command import deploy

    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step's summary\n", encoding="utf-8")
    out = tmp_path / "plan.json"
    assert deploy("prod", plan_only=True, plan_out=str(out), offline=True, summary=summary) == 0
    steps = json.loads(out.read_text(encoding="utf-8"))["steps"]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step's summary\n### Deployment plan: prod\n"), "appended, not replaced"
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert [row.split(" | ")[2].strip("`") for row in rows] == [step["name"] for step in steps]
    terminal = capsys.readouterr().out
    assert all(step["name"] in terminal for step in steps)
