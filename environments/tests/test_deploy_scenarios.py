"""Deploying dev to Azure, against the simulated control plane (environments/azure_sim).

The real SDK clients run unchanged on the simulator's transport; the simulator enforces the documented
rules (a missing resource group, a running stream job refusing changes, resuming only a job started
before). The Azure ML steps (`python -m ml pipeline|rollout`) are the one thing replaced: `MLSteps`
below journals them and leaves what the rollout leaves (the endpoint and its manifest).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from environments.azure_sim import ArmError, SimulatedAzure, SimulatedTransport, StaticCredential
from environments.deploy.azure_apply import ApplyError, apply_plan
from environments.deploy.azure_clients import AzureClients
from environments.deploy.azure_state import read_azure_state
from environments.deploy.plan import Plan, Step, build_plan, select_stage
from environments.loader import load_environment
from environments.naming import resource_names
from environments.render import render_environment

ENV = load_environment("dev")
GROUP = ENV.azure.resource_group if ENV.azure else ""
JOB = f"resourceGroups/{GROUP}/providers/Microsoft.StreamAnalytics/streamingjobs/{resource_names(ENV).stream_job}"


class MLSteps:
    """What `python -m ml pipeline|rollout dev` leaves behind: a healthy endpoint and its manifest."""

    def __init__(self, azure: SimulatedAzure, root: Path) -> None:
        self.azure, self.root = azure, root

    def __call__(self, step: Step) -> None:
        self.azure.note(f"ML {step.name}")
        if step.name == "endpoint-rollout":
            names = resource_names(ENV)
            endpoint = (
                f"resourceGroups/{GROUP}/providers/Microsoft.MachineLearningServices/workspaces/"
                f"{names.workspace}/onlineEndpoints/{names.endpoint}"
            )
            self.azure.arrange(
                endpoint,
                {"name": names.endpoint, "properties": {"authMode": "Key", "traffic": {"blue": 100}}},
            )
            manifest = self.root / "build" / "dev" / "ml" / "endpoint.json"
            manifest.write_text(json.dumps({"healthy": True, "deployment": "blue"}), encoding="utf-8")


class Subscription:
    """One simulated subscription and the repository's rendered dev files, deployed as `nox -s deploy-dev`
    does: read the state, build the plan, apply it."""

    def __init__(self, root: Path) -> None:
        self.azure = SimulatedAzure()
        self.clients = AzureClients(
            self.azure.subscription_id, StaticCredential(), SimulatedTransport(self.azure)
        )
        self.root, self.build = root, root / "build" / "dev"
        render_environment("dev", out=self.build)

    def plan(self, stage: str | None = None) -> Plan:
        return select_stage(build_plan(ENV, self.build, read_azure_state(ENV, self.clients)), stage)

    def deploy(self, stage: str | None = None) -> tuple[Plan, list[str]]:
        """Plan and apply; returns the plan and the changes the control plane received meanwhile."""
        plan, before = self.plan(stage), len(self.azure.journal)
        apply_plan(
            ENV, plan, self.root, self.clients, run_ml=MLSteps(self.azure, self.root), report=lambda _: None
        )
        return plan, self.azure.journal[before:]

    def job(self) -> dict[str, Any]:
        job = self.azure.get(JOB)
        assert job is not None, "the stream job was never created"
        return job["properties"]

    def resources(self) -> dict[str, Any]:
        """Everything deployed except the deployment records themselves."""
        return {k: v for k, v in self.azure.resources.items() if "microsoft.resources/deployments" not in k}

    def change_query(self, new_query: str) -> None:
        path = next(self.build.rglob("stream-job.json"))
        template = json.loads(path.read_text(encoding="utf-8"))
        job = next(r for r in template["resources"] if r["type"] == "Microsoft.StreamAnalytics/streamingjobs")
        job["properties"]["transformation"]["properties"]["query"] = new_query
        path.write_text(json.dumps(template), encoding="utf-8")


def changes_of(plan: Plan) -> list[str]:
    """The change requests each plan step stands for (reads, like a check or a gate, change nothing)."""
    expected = []
    for step in plan.steps:
        if step.kind == "arm-deployment" or (step.kind == "resource-group" and step.request):
            expected.append(f"PUT {step.target}")
        elif step.kind == "azureml":
            expected.append(f"ML {step.name}")
        elif step.kind in ("asa-stop", "asa-start"):
            expected.append(f"POST {step.target}/{step.kind.removeprefix('asa-')}")
    return [entry.lower() for entry in expected]


@pytest.fixture
def subscription(tmp_path: Path) -> Subscription:
    return Subscription(tmp_path)


def test_a_first_deploy_into_an_empty_subscription_performs_exactly_the_plan(
    subscription: Subscription,
) -> None:
    plan, changes = subscription.deploy()
    assert [change.lower() for change in changes] == changes_of(plan)
    assert changes[0] == f"PUT resourcegroups/{GROUP}", "the resource group is created before anything else"
    kinds = [step.kind for step in plan.steps]
    assert kinds.index("azureml") < kinds.index("gate") < kinds.index("asa-start"), (
        "ML before Stream Analytics"
    )
    job = subscription.job()
    assert (job["jobState"], job["lastStartMode"]) == ("Running", "JobStartTime")


def test_the_same_deploy_again_changes_nothing_and_leaves_the_job_running(subscription: Subscription) -> None:
    subscription.deploy()
    deployed = json.dumps(subscription.resources(), sort_keys=True)
    plan, changes = subscription.deploy()
    assert [change.lower() for change in changes] == changes_of(plan)
    assert not [step for step in plan.steps if step.kind.startswith("asa-") or step.target == JOB]
    assert not [change for change in changes if "streamingjobs" in change.lower()]
    assert plan.steps[0].name == "check-resource-group"
    assert json.dumps(subscription.resources(), sort_keys=True) == deployed


def test_a_query_change_stops_updates_and_resumes_the_job(subscription: Subscription) -> None:
    subscription.deploy()
    subscription.change_query("SELECT * INTO [scored-eventhub] FROM [transactions]")
    plan, changes = subscription.deploy()
    deployment = next(step for step in plan.steps if step.source.endswith("stream-job.json"))
    job_changes = [c for c in changes if "streamingjobs" in c.lower() or c.endswith(deployment.name)]
    assert [c.lower() for c in job_changes] == [
        f"post {JOB.lower()}/stop",
        f"put {deployment.target.lower()}",
        f"post {JOB.lower()}/start",
    ]
    assert [change.lower() for change in changes] == changes_of(plan)
    job = subscription.job()
    assert job["transformation"]["properties"]["query"].startswith("SELECT * INTO [scored-eventhub]")
    assert (job["jobState"], job["lastStartMode"]) == ("Running", "LastOutputEventTime")


def test_a_failure_half_way_names_the_step_and_the_azure_error_and_a_rerun_completes(
    subscription: Subscription,
) -> None:
    plan = subscription.plan()
    arm = [step for step in plan.steps if step.kind == "arm-deployment"]
    failing = arm[len(arm) // 2]
    subscription.azure.fail_next(
        f"PUT {failing.target}", ArmError(409, "QuotaExceeded", "Operation results in exceeding quota limits")
    )
    with pytest.raises(ApplyError, match=rf"{failing.name}: .*QuotaExceeded.*exceeding quota"):
        subscription.deploy()
    assert subscription.azure.get(JOB) is None, "nothing after the failed step ran"
    plan, changes = subscription.deploy()
    assert [change.lower() for change in changes] == changes_of(plan)
    assert plan.steps[0].name == "check-resource-group"
    assert subscription.job()["jobState"] == "Running"


def test_the_workflow_s_two_stages_perform_the_whole_plan(subscription: Subscription) -> None:
    """deploy.yml runs `--stage ml`, then `--stage streaming` in another job, each planning afresh."""
    whole = subscription.plan()
    ml, ml_changes = subscription.deploy("ml")
    streaming, streaming_changes = subscription.deploy("streaming")
    assert [step.name for step in ml.steps + streaming.steps] == [step.name for step in whole.steps]
    assert [change.lower() for change in ml_changes + streaming_changes] == changes_of(whole)
    assert subscription.job()["jobState"] == "Running"
