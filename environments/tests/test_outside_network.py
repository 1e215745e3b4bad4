"""network: private: the plan names the workloads that run outside the virtual network (the Consumption
Logic Apps of the export and the retrain trigger) with what they cannot reach, and apply refuses them
unless accepted; `--plan-only` still works. Computed from the rendered templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.deploy.azure_state import AzureState
from environments.deploy.command import refuse_outside_network
from environments.deploy.outside_network import outside_workloads
from environments.deploy.plan import Plan, arm_templates, build_plan, select_stage
from environments.errors import EnvironmentsError
from environments.loader import OVERRIDES_VARIABLE, load_environment
from environments.naming import resource_names
from environments.render import render_environment
from environments.tests.test_plan import release_for

LOGIC_APP = "Microsoft.Logic/workflows"


def _logic_apps(build: Path) -> dict[str, str]:
    """{workflow name: template source} of every Consumption Logic App rendered into `build`."""
    return {
        resource["name"]: path.relative_to(build).as_posix()
        for _, path, template in arm_templates(build)
        for resource in template["resources"]
        if resource["type"] == LOGIC_APP
    }


@pytest.fixture(scope="module", params=["dev", "prod"])
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, Plan]:
    out = tmp_path_factory.mktemp(request.param)
    render_environment(request.param, out=out)
    plan = build_plan(
        load_environment(request.param), out, AzureState.empty(), release_for(request.param, out)
    )
    return request.param, out, plan


def test_the_plan_names_both_logic_apps_and_the_private_resources_they_reach(rendered) -> None:
    env_name, build, plan = rendered
    names = resource_names(load_environment(env_name))
    apps = _logic_apps(build)
    assert len(apps) == 2  # the export and the retrain trigger
    reaches = {workload.name: set(workload.reaches) for workload in plan.outside}
    assert set(reaches) == set(apps)
    export = next(name for name, source in apps.items() if source.startswith("export/"))
    retrain = next(name for name, source in apps.items() if source.startswith("monitoring/"))
    assert reaches[export] == {f"Microsoft.Storage/storageAccounts/{names.storage_account}"}
    assert reaches[retrain] == {f"Microsoft.KeyVault/vaults/{names.key_vault}"}
    assert {w.name: w.source for w in plan.outside} == apps
    assert all("docs/decisions/0013-" in workload.line() for workload in plan.outside)


def test_the_stages_carry_the_workloads_their_steps_deploy(rendered) -> None:
    _, _, plan = rendered
    assert {w.name for w in select_stage(plan, "infra").outside} == {w.name for w in plan.outside}
    assert select_stage(plan, "streaming").outside == ()
    assert json.loads(plan.to_json())["outside_network"][0]["reaches"]


def test_apply_refuses_them_naming_each_unless_accepted(rendered) -> None:
    _, _, plan = rendered
    with pytest.raises(EnvironmentsError) as refused:
        refuse_outside_network(plan, accepted=False)
    for workload in plan.outside:
        assert workload.name in str(refused.value)
    assert "--accept-outside-network" in str(refused.value)
    refuse_outside_network(plan, accepted=True)
    refuse_outside_network(select_stage(plan, "streaming"), accepted=False)


def test_a_public_trial_environment_has_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overrides = tmp_path / "trial.yml"
    overrides.write_text("network: public\nrunner: [ubuntu-24.04]\n")
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(overrides))
    out = tmp_path / "build"
    render_environment("dev", out=out)
    assert _logic_apps(out)
    assert build_plan(load_environment("dev"), out, AzureState.empty()).outside == ()


def test_a_logic_app_that_reaches_no_private_resource_is_not_named() -> None:
    env = load_environment("dev")
    names = resource_names(env)
    quiet = {
        "resources": [{"type": LOGIC_APP, "name": "other", "properties": {"uri": "https://example.org"}}]
    }
    longer = {
        "resources": [{"type": LOGIC_APP, "name": "x", "properties": {"v": f"{names.key_vault}-other"}}]
    }
    loud = {
        "resources": [
            {"type": LOGIC_APP, "name": "y", "properties": {"v": f"https://{names.key_vault}.vault"}}
        ]
    }
    found = outside_workloads(env, [("a.json", quiet), ("b.json", longer), ("c.json", loud)])
    assert [(w.name, w.source) for w in found] == [("y", "c.json")]


def test_plan_only_prints_them_and_succeeds(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from environments.deploy.command import deploy

    out = tmp_path / "plan.json"
    assert deploy("dev", plan_only=True, plan_out=str(out), offline=True) == 0
    printed = " ".join(capsys.readouterr().out.split())
    for workload in json.loads(out.read_text())["outside_network"]:
        assert f"outside the network: {workload['name']}" in printed


def test_the_pull_request_summary_lists_them(rendered) -> None:
    from environments.deploy.plan_table import plan_markdown

    _, _, plan = rendered
    text = plan_markdown(plan)
    assert "**Outside the network**" in text
    for workload in plan.outside:
        assert f"- {workload.name} " in text
