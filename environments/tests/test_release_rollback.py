"""Rollback by release tag, against the simulated control plane: deploying an earlier release's manifest
to prod after a later one promotes the earlier model version through the same rollout and stops, updates
and restarts the stream job from its last output time (release.yml runs exactly this deploy, checked out
at the earlier tag's commit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from environments.azure_sim import SimulatedAzure
from environments.azure_sim.control_plane import Scorer
from environments.azure_sim.testing import (
    REPOSITORY,
    TRAINED_VERSION,
    Subscription,
    publish_trained_model,
    same_changes,
    stream_job_path,
)
from environments.deploy.release import new_release, rendered_assets, with_deployment
from environments.render import render_environment

LATER_QUERY = "SELECT * INTO [scored-eventhub] FROM [transactions]"

pytestmark = [pytest.mark.usefixtures("registry_template_check_offline"), pytest.mark.services]


def test_an_earlier_release_redeploys_its_model_and_query_and_resumes_the_job(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scorer: Scorer,
    simulated_azure: SimulatedAzure,
    trained_model: Path,
) -> None:
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)  # apply runs in a workflow
    azure = simulated_azure
    dev, staging, prod = (
        Subscription(tmp_path, scorer, name, azure, model_dir=trained_model)
        for name in ("dev", "staging", "prod")
    )
    dev.deploy()
    staging.deploy(release=dev.release())
    earlier = staging.release()  # v1.0.0: what staging recorded for its commit
    prod.deploy(release=earlier)
    original_query = prod.job()["transformation"]["properties"]["query"]

    # v1.1.0: a later commit with another query and model version 8, through dev and staging.
    later_model = {**earlier["model"], "version": "8", "uri": earlier["model"]["uri"].replace("/7", "/8")}
    later = new_release(rendered_assets(prod.build), later_model, "b" * 40)
    later = with_deployment(with_deployment(later, "dev"), "staging")
    publish_trained_model(azure, prod.env, trained_model, "8")  # what the later training left
    prod.change_query(LATER_QUERY)
    prod.deploy(release=later)
    assert prod.release()["model"]["version"] == "8"
    assert prod.job()["transformation"]["properties"]["query"] == LATER_QUERY

    # Rollback to v1.0.0: its commit's rendering and its manifest.
    render_environment("prod", out=prod.build)
    plan, changes = prod.deploy(release=earlier)
    assert same_changes(changes, plan)
    promote = next(step for step in plan.steps if step.name == "promote")
    assert promote.request["command"][-2:] == ["--version", TRAINED_VERSION]
    steps = [step.name for step in plan.steps]
    assert steps.index("promote") < steps.index("endpoint-rollout") < steps.index("write-release-manifest")
    job_changes = [c.lower() for c in changes if "streamingjobs" in c.lower() and c.startswith("POST")]
    job = stream_job_path(prod.env).lower()
    assert job_changes == [f"post {job}/stop", f"post {job}/start"]
    deployed = prod.job()
    assert deployed["transformation"]["properties"]["query"] == original_query
    assert (deployed["jobState"], deployed["lastStartMode"]) == ("Running", "LastOutputEventTime")
    rolled_back = prod.release()
    assert (rolled_back["release"], rolled_back["model"]["version"]) == (earlier["release"], TRAINED_VERSION)
