"""Tearing dev down (`nox -s destroy-dev`): the destroy plan offline, and its apply against the simulated
control plane (environments/azure_sim) with the real azure-mgmt-resource client: the confirmation names
the resource group, a wrong answer deletes nothing, and the group goes with everything in it, only it."""

from __future__ import annotations

from pathlib import Path

import pytest

from environments.azure_sim import SimulatedAzure, SimulatedTransport, StaticCredential
from environments.deploy.azure_clients import AzureClients
from environments.deploy.destroy import destroy
from environments.deploy.destroy_plan import REGISTRY_TYPE, build_destroy_plan
from environments.loader import load_environment
from environments.naming import resource_names
from environments.render import render_environment

ENV = load_environment("dev")
GROUP = ENV.azure.resource_group if ENV.azure else ""
JOB = f"resourceGroups/{GROUP}/providers/Microsoft.StreamAnalytics/streamingjobs/{resource_names(ENV).stream_job}"
OTHER = "resourceGroups/rg-streamscore-staging/providers/Microsoft.KeyVault/vaults/sscore-staging-kv"


def test_destroy_plan_for_dev_deletes_its_resource_group_and_names_what_goes(tmp_path: Path) -> None:
    render_environment("dev", out=tmp_path)
    plan = build_destroy_plan(ENV, tmp_path, resource_group_exists=None)
    (step,) = plan.steps
    assert (step.kind, step.target) == ("resource-group-delete", f"resourceGroups/{GROUP}")
    deleted = {(r["type"], r["name"]) for r in step.request["deletes"]}
    names = resource_names(ENV)
    assert ("Microsoft.StreamAnalytics/streamingjobs", names.stream_job) in deleted
    assert ("Microsoft.MachineLearningServices/workspaces", names.workspace) in deleted
    # dev owns the Azure ML registry staging and prod promote from: the plan says it goes too.
    (shared,) = step.request["sharedWithOtherEnvironments"]
    assert shared.startswith(f"{REGISTRY_TYPE} {names.registry}")
    assert build_destroy_plan(ENV, tmp_path, resource_group_exists=False).steps == ()


def test_plan_only_prints_the_plan_offline_without_asking(capsys: pytest.CaptureFixture[str]) -> None:
    def never(prompt: str) -> str:
        raise AssertionError(f"asked {prompt!r} with --plan-only")

    assert destroy("dev", plan_only=True, ask=never) == 0
    out = capsys.readouterr().out
    assert "Destroy plan: dev" in out and "delete-resource-group" in out
    assert "shared with other environments" in out


class Subscription:
    def __init__(self) -> None:
        self.azure = SimulatedAzure()
        self.clients = AzureClients(
            self.azure.subscription_id, StaticCredential(), SimulatedTransport(self.azure)
        )
        for group in (GROUP, "rg-streamscore-staging"):
            self.clients.resource_groups().create_or_update(group, {"location": "westeurope"})
        self.azure.arrange(JOB, {"name": "job", "properties": {"jobState": "Running"}})
        self.azure.arrange(OTHER, {"name": "sscore-staging-kv", "properties": {}})


def test_a_wrong_confirmation_deletes_nothing() -> None:
    subscription = Subscription()
    prompts: list[str] = []
    assert destroy("dev", clients=subscription.clients, ask=lambda p: prompts.append(p) or "dev") == 1
    assert GROUP in prompts[0]
    assert subscription.azure.get(JOB) is not None
    assert not [e for e in subscription.azure.journal if e.startswith("DELETE")]


def test_confirmed_destroy_deletes_the_group_and_everything_in_it_only() -> None:
    subscription = Subscription()
    assert destroy("dev", clients=subscription.clients, ask=lambda prompt: GROUP) == 0
    deletes = [e.lower() for e in subscription.azure.journal if e.startswith("DELETE")]
    assert deletes == [f"delete resourcegroups/{GROUP}"]
    assert subscription.azure.get(f"resourceGroups/{GROUP}") is None
    assert subscription.azure.get(JOB) is None
    assert subscription.azure.get(OTHER) is not None
    # Run again: the group is gone, so there is nothing to do and nothing is asked.
    assert destroy("dev", clients=subscription.clients, ask=lambda prompt: pytest.fail("asked")) == 0


def test_yes_skips_the_confirmation() -> None:
    subscription = Subscription()
    assert destroy("dev", yes=True, clients=subscription.clients, ask=lambda p: pytest.fail("asked")) == 0
    assert subscription.azure.get(f"resourceGroups/{GROUP}") is None
