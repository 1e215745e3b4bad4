"""network: private: no rendered workload runs outside the virtual network while reaching a private
resource (decision 0016: the export is an Azure ML scheduled job inside the workspace's managed network, the
retrain Logic App gets its token at deploy time), so the plan names none and apply refuses nothing; a
Consumption Logic App that reads a private resource at run time (the retrain app as it was before) is still
named and refused unless accepted, and `--plan-only` prints it. Computed from the rendered templates."""

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
from environments.private_network import private_links
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


def _plan(env_name: str, build: Path) -> Plan:
    env = load_environment(env_name)
    return build_plan(env, build, AzureState.empty(), release_for(env_name, build))


def _read_the_vault_at_run_time(build: Path) -> str:
    """Give the rendered retrain app the run-time vault read it had before decision 0016; its name."""
    env = load_environment("dev")
    path = build / "monitoring" / "arm" / "drift-alerts.json"
    template = json.loads(path.read_text(encoding="utf-8"))
    app = next(r for r in template["resources"] if r["type"] == LOGIC_APP)
    app["properties"]["definition"]["actions"]["Read_dispatch_token"] = {
        "type": "Http",
        "inputs": {
            "method": "GET",
            "uri": f"https://{resource_names(env).key_vault}.vault.azure.net/secrets/github-dispatch-token",
        },
    }
    path.write_text(json.dumps(template), encoding="utf-8")
    return str(app["name"])


@pytest.fixture(scope="module", params=["dev", "prod"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp(request.param)
    render_environment(request.param, out=out)
    return request.param, out


def test_no_rendered_workload_is_outside_the_network_and_apply_refuses_nothing(rendered) -> None:
    env_name, build = rendered
    env = load_environment(env_name)
    assert env.network == "private"
    plan = _plan(env_name, build)
    assert plan.outside == ()
    refuse_outside_network(plan, accepted=False)
    assert json.loads(plan.to_json())["outside_network"] == []
    # The one Consumption app left is the retrain trigger, and it names no private resource.
    apps = _logic_apps(build)
    assert list(apps.values()) == ["monitoring/arm/drift-alerts.json"]
    private = {link.resource_name for link in private_links(env)}
    text = json.dumps(
        [r for _, _, t in arm_templates(build) for r in t["resources"] if r["type"] == LOGIC_APP]
    )
    assert not [name for name in private if name in text]


def test_the_export_runs_on_an_azure_ml_schedule_inside_the_network(rendered) -> None:
    env_name, build = rendered
    plan = _plan(env_name, build)
    step = next(step for step in plan.steps if step.name == "export-schedule")
    assert step.kind == "azureml" and step.needs_network
    assert step.request["command"] == ["python", "-m", "export", "schedule", env_name]
    assert not (build / "export" / "arm" / "export-logicapp.json").exists()


def test_a_consumption_app_reading_the_vault_at_run_time_is_named_and_refused(tmp_path: Path) -> None:
    env_name, build = "dev", tmp_path / "build"
    render_environment(env_name, out=build)
    name = _read_the_vault_at_run_time(build)
    plan = _plan(env_name, build)
    names = resource_names(load_environment(env_name))
    assert [(w.name, w.reaches) for w in plan.outside] == [
        (name, (f"Microsoft.KeyVault/vaults/{names.key_vault}",))
    ]
    assert "docs/decisions/0016-" in plan.outside[0].line()
    assert select_stage(plan, "infra").outside == plan.outside
    assert select_stage(plan, "streaming").outside == ()
    with pytest.raises(EnvironmentsError) as refused:
        refuse_outside_network(plan, accepted=False)
    assert name in str(refused.value) and "--accept-outside-network" in str(refused.value)
    refuse_outside_network(plan, accepted=True)

    from environments.deploy.plan_table import plan_markdown

    assert "**Outside the network**" in plan_markdown(plan) and f"- {name} " in plan_markdown(plan)


def test_a_public_trial_environment_has_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overrides = tmp_path / "trial.yml"
    overrides.write_text("network: public\nrunner: [ubuntu-24.04]\n")
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(overrides))
    out = tmp_path / "build"
    render_environment("dev", out=out)
    _read_the_vault_at_run_time(out)  # reaches the vault, which a public environment leaves open
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


def test_plan_only_names_none_and_succeeds(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from environments.deploy.command import deploy

    out = tmp_path / "plan.json"
    assert deploy("dev", plan_only=True, plan_out=str(out), offline=True) == 0
    assert json.loads(out.read_text())["outside_network"] == []
    assert "outside the network" not in capsys.readouterr().out
