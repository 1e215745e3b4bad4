"""The offline deployment plan: ML before Stream Analytics, every template with its request body."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.deploy.azure_state import AzureState, StreamJobState
from environments.deploy.plan import build_plan, definition_hash
from environments.deploy.release import PROMOTED_FROM, new_release, rendered_assets, with_deployment
from environments.loader import load_environment
from environments.render import render_environment

MODEL = {"name": "card-fraud", "version": "4", "uri": "azureml://registries/r/models/card-fraud/versions/4"}


def release_for(env_name: str, build: Path) -> dict | None:
    """The release `env_name` deploys: dev's, recorded by every stage before `env_name`."""
    if env_name not in PROMOTED_FROM:
        return None
    release = new_release(rendered_assets(build), MODEL, "0" * 40)
    for stage in ("dev", "staging"):
        release = with_deployment(release, stage)
        if stage == PROMOTED_FROM[env_name]:
            return release
    raise AssertionError(env_name)


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def plan(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp(request.param)
    render_environment(request.param, out=out)
    release = release_for(request.param, out)
    return build_plan(load_environment(request.param), out, AzureState.empty(), release)


def test_ml_comes_before_stream_analytics(plan) -> None:
    kinds = [step.kind for step in plan.steps]
    gate = kinds.index("gate")
    assert kinds.index("azureml") < gate
    assert kinds[-1] == "asa-start"
    after_ml = [s for s in plan.steps[gate + 1 :] if s.kind == "arm-deployment"]
    assert all("streaming" in s.source for s in after_ml)


def test_every_arm_template_is_deployed_with_its_body(plan) -> None:
    arm = [s for s in plan.steps if s.kind == "arm-deployment"]
    assert any(s.source == "environments/arm/shared-infra.json" for s in arm)
    for step in arm:
        body = step.request["properties"]
        assert body["mode"] == "Incremental"
        assert "resources" in body["template"]


def test_secure_parameters_are_never_in_the_plan(plan) -> None:
    for step in plan.steps:
        if step.kind != "arm-deployment":
            continue
        for name in step.secure_parameters:
            assert name not in step.request["properties"]["parameters"]


def test_plan_json_is_printable(plan, tmp_path: Path) -> None:
    text = plan.to_json()
    assert plan.environment in text


def test_stages_split_at_the_health_gate(plan) -> None:
    from environments.deploy.plan import select_stage

    ml = select_stage(plan, "ml")
    streaming = select_stage(plan, "streaming")
    assert ml.steps + streaming.steps == plan.steps
    assert streaming.steps[0].kind == "gate"
    assert all(step.kind != "asa-start" for step in ml.steps)
    infra = select_stage(plan, "infra")
    assert infra.steps == ml.steps[: len(infra.steps)] and infra.steps[-1].kind == "arm-deployment"
    control_plane = ("resource-group", "arm-deployment", "private-endpoint-approval")
    assert all(step.kind in control_plane and not step.needs_network for step in infra.steps)


def test_the_stream_job_is_deployed_after_the_health_gate(plan) -> None:
    kinds = [step.kind for step in plan.steps]
    gate = kinds.index("gate")
    job = next(i for i, s in enumerate(plan.steps) if s.source.endswith("stream-job.json"))
    assert job > gate
    assert plan.steps[job].secure_parameters == ("scoringApiKey",)


def test_azure_ml_steps_carry_their_entities_and_operations(plan) -> None:
    steps = {step.name: step for step in plan.steps}
    first = steps["train"] if plan.environment == "dev" else steps["promote"]
    training = first.request["entities"]
    rollout = steps["endpoint-rollout"].request["entities"]
    kinds = {entity["$schema"].rsplit("/", 1)[-1] for entity in [*training.values(), *rollout.values()]}
    if plan.environment == "dev":
        assert "pipelineJob.schema.json" in kinds
        assert "commandComponent.schema.json" in kinds
        operations = " | ".join(first.request["operations"])
        for operation in ("upload data asset", "create component", "share model", "registry-access"):
            assert operation in operations
    else:
        assert training == {}, "staging and prod train nothing"
        assert first.request["command"][-2:] == ["--version", MODEL["version"]]
    assert "create deployment blue (blue/green) at 0% traffic" in " | ".join(
        steps["endpoint-rollout"].request["operations"]
    ), "a first deploy creates the endpoint's first deployment"
    assert {e["$schema"].rsplit("/", 1)[-1] for e in rollout.values()} == {
        "managedOnlineEndpoint.schema.json",
        "managedOnlineDeployment.schema.json",
    }


def test_the_resource_group_comes_first(plan) -> None:
    first = plan.steps[0]
    assert (first.kind, first.name) == ("resource-group", "create-resource-group")
    assert first.request["location"]


def _job_plan(tmp_path: Path, job: StreamJobState | None):
    render_environment("dev", out=tmp_path)
    env = load_environment("dev")
    return build_plan(env, tmp_path, AzureState(resource_group_exists=True, stream_job=job))


def _job_operations(plan) -> list[tuple[str, str]]:
    return [
        (step.kind, step.request.get("outputStartMode", ""))
        for step in plan.steps
        if step.kind.startswith("asa-") or step.source.endswith("stream-job.json")
    ]


def _deployed_definition(tmp_path: Path) -> str:
    """The definition hash the plan tags the job with (what a deploy of the same files leaves behind)."""
    deploy = next(s for s in _job_plan(tmp_path, None).steps if s.source.endswith("stream-job.json"))
    resource = next(
        r for r in deploy.request["properties"]["template"]["resources"] if "streamingjobs" in r["type"]
    )
    return resource["tags"]["streamscore-definition"]


def test_a_running_unchanged_job_is_left_untouched(tmp_path: Path) -> None:
    current = StreamJobState(state="Running", definition=_deployed_definition(tmp_path))
    plan = _job_plan(tmp_path, current)
    assert _job_operations(plan) == []
    assert plan.steps[0].name == "check-resource-group"


def test_a_running_changed_job_is_stopped_updated_and_resumed(tmp_path: Path) -> None:
    plan = _job_plan(tmp_path, StreamJobState(state="Running", definition="sha256:older"))
    assert _job_operations(plan) == [
        ("asa-stop", ""),
        ("arm-deployment", ""),
        ("asa-start", "LastOutputEventTime"),
    ]


def test_a_stopped_unchanged_job_is_only_started_again(tmp_path: Path) -> None:
    current = StreamJobState(state="Stopped", definition=_deployed_definition(tmp_path))
    assert _job_operations(_job_plan(tmp_path, current)) == [("asa-start", "LastOutputEventTime")]


def test_a_new_job_starts_at_job_start_time(tmp_path: Path) -> None:
    assert _job_operations(_job_plan(tmp_path, None)) == [
        ("arm-deployment", ""),
        ("asa-start", "JobStartTime"),
    ]


def test_the_definition_hash_follows_the_query(tmp_path: Path) -> None:
    deploy = next(s for s in _job_plan(tmp_path, None).steps if s.source.endswith("stream-job.json"))
    template = deploy.request["properties"]["template"]
    job = next(r for r in template["resources"] if "streamingjobs" in r["type"])
    before = definition_hash(deploy)
    job["properties"]["transformation"]["properties"]["query"] += "\n-- changed"
    assert definition_hash(deploy) != before


def test_the_pull_request_check_plans_staging_offline_without_a_release(tmp_path: Path) -> None:
    """`deploy staging --plan-only --offline` (pr.yml) plans with this checkout's versions and a
    placeholder model version; the plan is printed, nothing is applied."""
    from environments.deploy.command import deploy

    out = tmp_path / "plan.json"
    assert deploy("staging", plan_only=True, plan_out=str(out), offline=True) == 0
    steps = {step["name"]: step for step in json.loads(out.read_text())["steps"]}
    assert steps["promote"]["request"]["command"][-1] == "<the release's model version>"
    assert steps["promote"]["request"]["entities"] == {}


def test_the_plan_marks_the_steps_that_need_network_reach(plan) -> None:
    """network: private: the Azure ML steps (uploads, registry writes, smoke tests) run only from inside the
    environment's network; ARM deployments, job start/stop, the gate and the release manifest run anywhere."""
    inside = {step.name for step in plan.steps if step.needs_network}
    assert inside == {
        "train" if plan.environment == "dev" else "promote",
        "endpoint-rollout",
        "drift-schedule",
        "export-schedule",  # the export job's schedule (decision 0016): an Azure ML data-plane call
    }
    assert all(step.kind == "azureml" for step in plan.steps if step.needs_network)


def test_a_public_trial_environment_needs_no_network_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from environments.loader import OVERRIDES_VARIABLE

    overrides = tmp_path / "trial.yml"
    overrides.write_text("network: public\nrunner: [ubuntu-24.04]\n")
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(overrides))
    out = tmp_path / "build"
    render_environment("dev", out=out)
    plan = build_plan(load_environment("dev"), out, AzureState.empty())
    assert not [step.name for step in plan.steps if step.needs_network]


def test_plan_only_prints_which_steps_need_the_network(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`--plan-only --offline` works from anywhere and says where the marked steps must run."""
    from environments.deploy.command import deploy

    out = tmp_path / "plan.json"
    assert deploy("dev", plan_only=True, plan_out=str(out), offline=True) == 0
    steps = json.loads(out.read_text())["steps"]
    marked = [index for index, step in enumerate(steps, start=1) if step["needs_network"]]
    assert marked
    printed = " ".join(capsys.readouterr().out.split())
    assert f"steps {', '.join(map(str, marked))} reach data planes closed to the internet" in printed


def test_the_infrastructure_stage_runs_from_anywhere(plan) -> None:
    """The first deploy creates the network the runner lives in: `--stage infra` needs no network reach."""
    from environments.deploy.plan import select_stage

    infra = select_stage(plan, "infra")
    assert any(step.source.endswith("shared-network.json") for step in infra.steps)
    assert not [step.name for step in infra.steps if step.needs_network]
