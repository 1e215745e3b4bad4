"""Re-running the deploy workflow's jobs does not redo finished work (decision 0024: a job may wait for
hours, so a failure late in it must not cost the early steps again).

Against the simulated control plane, in deploy.yml's order for dev: `--stage infra` (before training is
submitted), `--stage ml`, then `--stage streaming` in another job, each planning from what is deployed."""

from __future__ import annotations

import pytest

from environments.azure_sim import ArmError
from environments.azure_sim.testing import Subscription
from environments.deploy.azure_apply import ApplyError
from environments.deploy.cluster_approvals import APPROVAL_NAME

pytestmark = [
    pytest.mark.usefixtures("registry_template_check_offline", "workflow_repository"),
    pytest.mark.services,
]


def _endpoint_changes(changes: list[str]) -> list[str]:
    return [change for change in changes if "/onlineendpoints/" in change.lower()]


def test_dev_s_three_stages_perform_the_whole_plan_and_the_ml_stage_changes_nothing_infra_made(
    subscription: Subscription,
) -> None:
    whole = subscription.plan()
    infra, _ = subscription.deploy("infra")
    made = subscription.resources()
    ml, _ = subscription.deploy("ml")
    streaming, _ = subscription.deploy("streaming")

    # Approving the cluster's private endpoints is planned only while one is pending: infra did it.
    infra_names = [step.name for step in infra.steps if step.name != APPROVAL_NAME]
    assert APPROVAL_NAME in [step.name for step in infra.steps]
    assert APPROVAL_NAME not in [step.name for step in ml.steps + streaming.steps]
    assert infra_names[0] == "create-resource-group" and ml.steps[0].name == "check-resource-group"
    assert [step.name for step in ml.steps][1 : len(infra_names)] == infra_names[1:], "ml sends them again"
    assert [s.name for s in ml.steps[1:] + streaming.steps] == [
        s.name for s in whole.steps[1:] if s.name != APPROVAL_NAME
    ], "after the resource group, ml then streaming perform the whole plan in its order"
    after = subscription.resources()
    assert {key: after[key] for key in made} == made, "sent again, they changed nothing infra made"
    assert subscription.job()["jobState"] == "Running"


def test_the_ml_job_run_again_after_the_streaming_job_failed_rolls_nothing_out_again(
    subscription: Subscription,
) -> None:
    subscription.deploy("ml")
    job_deployment = next(
        s for s in subscription.plan("streaming").steps if s.source.endswith("stream-job.json")
    )
    subscription.azure.fail_next(
        f"PUT {job_deployment.target}", ArmError(409, "Conflict", "Another operation is in progress")
    )
    with pytest.raises(ApplyError, match=rf"{job_deployment.name}: .*Another operation is in progress"):
        subscription.deploy("streaming")
    served = subscription.release()

    again, changes = subscription.deploy("ml")  # "Re-run all jobs"
    assert _endpoint_changes(changes) == [], "the deployment serving this definition and model stays"
    rollout = next(step for step in again.steps if step.name == "endpoint-rollout")
    assert rollout.request["changes"] == []
    assert subscription.release()["model"] == served["model"]

    subscription.deploy("streaming")
    assert (subscription.job()["jobState"], subscription.job()["lastStartMode"]) == (
        "Running",
        "JobStartTime",
    )
