"""The deploy approves the Stream Analytics cluster's managed private endpoints on their own targets.

Against the simulated control plane (environments/azure_sim/managed_private_endpoints.py): a managed
private endpoint is a pending connection on its target until approved there, and the job on the cluster
reaches the target only once it is (https://learn.microsoft.com/azure/stream-analytics/private-endpoints).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from environments.azure_sim.managed_private_endpoints import MANAGED_SUBSCRIPTION
from environments.azure_sim.testing import MLSteps, Subscription, same_changes, stream_job_path
from environments.deploy.azure_apply import ApplyError, apply_plan
from environments.deploy.azure_state import AzureState
from environments.deploy.cluster_approvals import APPROVAL_KIND, ApprovalError, target_id
from environments.deploy.plan import Plan, build_plan
from environments.loader import load_environment
from environments.private_network import cluster_links
from environments.render import render_environment

pytestmark = [
    pytest.mark.usefixtures("registry_template_check_offline", "workflow_repository"),
    pytest.mark.services,
]


def _targets(subscription: Subscription) -> list[str]:
    return [target_id(subscription.env, link) for link in cluster_links(subscription.env)]


def _connections(subscription: Subscription, target: str) -> list[dict]:
    resource = subscription.azure.handle(
        "GET", f"https://management.azure.com/{_full(subscription, target)}", None
    )
    return list((resource.body or {}).get("properties", {}).get("privateEndpointConnections") or [])


def _full(subscription: Subscription, path: str) -> str:
    return f"subscriptions/{subscription.azure.subscription_id}/{path}"


def _deploy_without_approval(subscription: Subscription) -> None:
    """A deploy as it was before the step existed: the endpoints are created and left pending."""
    plan = subscription.plan()
    kept = tuple(step for step in plan.steps if step.kind != APPROVAL_KIND)
    run_ml = MLSteps(subscription.azure, subscription.env, {}, subscription.model_dir)
    with subscription.blob_routing():
        apply_plan(
            subscription.env,
            Plan(plan.environment, kept),
            subscription.root,
            subscription.clients,
            run_ml,
            lambda _: None,
        )


def test_the_job_reaches_no_target_until_its_endpoints_are_approved_and_the_deploy_approves_them(
    subscription: Subscription,
) -> None:
    job = stream_job_path(subscription.env)
    _deploy_without_approval(subscription)
    for target in _targets(subscription):
        states = [
            c["properties"]["privateLinkServiceConnectionState"]["status"]
            for c in _connections(subscription, target)
        ]
        assert states == ["Pending"], f"{target}: one pending connection from the cluster"
        assert not subscription.azure.job_reaches(job, target), f"{target} reached before approval"

    plan, changes = subscription.deploy()
    approval = next(step for step in plan.steps if step.kind == APPROVAL_KIND)
    assert not approval.needs_network, "approval goes through ARM: it runs from anywhere"
    assert [e["name"] for e in approval.request["endpoints"]] == [
        link.key for link in cluster_links(subscription.env)
    ]
    assert same_changes(changes, plan)
    approvals = [c for c in changes if "/privateendpointconnections/" in c.lower()]
    assert len(approvals) == len(_targets(subscription))
    for target in _targets(subscription):
        assert subscription.azure.job_reaches(job, target), f"{target} not reached after approval"


def test_the_first_deploy_approves_and_the_second_changes_nothing(subscription: Subscription) -> None:
    first, first_changes = subscription.deploy()
    kinds = [step.kind for step in first.steps]
    cluster = next(i for i, s in enumerate(first.steps) if s.source.endswith("stream-cluster.json"))
    assert kinds[cluster + 1] == APPROVAL_KIND, "approved right after the endpoints are created"
    assert kinds.index(APPROVAL_KIND) < kinds.index("azureml")
    assert len([c for c in first_changes if "/privateendpointconnections/" in c.lower()]) == len(
        cluster_links(subscription.env)
    )

    second, second_changes = subscription.deploy()
    assert APPROVAL_KIND not in [step.kind for step in second.steps], "all approved: no step"
    assert not [c for c in second_changes if "privateendpointconnections" in c.lower()]
    assert same_changes(second_changes, second)


def test_a_connection_from_elsewhere_is_left_pending(subscription: Subscription) -> None:
    storage = next(t for t in _targets(subscription) if "Microsoft.Storage" in t)
    foreign = f"{storage}/privateEndpointConnections/someone-else"
    _deploy_without_approval(subscription)
    subscription.azure.arrange(
        foreign,
        {
            "name": "someone-else",
            "properties": {
                "privateEndpoint": {
                    "id": f"/subscriptions/{MANAGED_SUBSCRIPTION}/resourceGroups/x/providers/"
                    "Microsoft.Network/privateEndpoints/someone-else"
                },
                "privateLinkServiceConnectionState": {"status": "Pending", "description": "please let me in"},
            },
        },
    )
    plan, changes = subscription.deploy()
    assert APPROVAL_KIND in [step.kind for step in plan.steps]
    stored = subscription.azure.get(foreign)
    assert stored is not None
    assert stored["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    assert not [c for c in changes if c.lower().endswith("/someone-else")]
    assert subscription.azure.job_reaches(stream_job_path(subscription.env), storage)


def test_two_connections_claiming_the_cluster_s_request_are_refused_not_guessed(
    subscription: Subscription,
) -> None:
    _deploy_without_approval(subscription)
    storage = next(t for t in _targets(subscription) if "Microsoft.Storage" in t)
    ours = next(c for c in _connections(subscription, storage))
    impostor = f"{storage}/privateEndpointConnections/impostor"
    subscription.azure.arrange(impostor, {**ours, "name": "impostor", "properties": dict(ours["properties"])})
    with pytest.raises(
        ApplyError, match=r"Microsoft.Storage.*2 pending connections come from .*refusing to guess"
    ) as raised:
        subscription.deploy()
    assert isinstance(raised.value.__cause__, ApprovalError)
    assert "az network private-endpoint-connection approve" in str(raised.value)
    statuses = {
        c["name"]: c["properties"]["privateLinkServiceConnectionState"]["status"]
        for c in _connections(subscription, storage)
    }
    assert set(statuses.values()) == {"Pending"}, f"nothing approved on a guess: {statuses}"


def test_a_public_environment_has_no_cluster_and_no_approval_step(tmp_path: Path) -> None:
    env = load_environment("dev").model_copy(update={"network": "public"})
    build = tmp_path / "dev"
    render_environment("dev", out=build)
    plan = build_plan(env, build, AzureState.empty())
    assert APPROVAL_KIND not in [step.kind for step in plan.steps]


def test_the_endpoint_stays_open_for_stream_analytics_and_a_closed_one_is_said_loudly(
    tmp_path: Path,
) -> None:
    """Documented: Stream Analytics only reaches Azure ML managed endpoints with public network access
    enabled (https://learn.microsoft.com/azure/stream-analytics/machine-learning-udf, Limitations), so the
    rendered endpoint keeps it enabled in a private environment; an endpoint edited to disable it deploys
    with a documented-risk line in the plan, the pull-request summary and plan.json."""
    from environments.deploy.plan_table import plan_markdown

    build = tmp_path / "dev"
    render_environment("dev", out=build)
    env = load_environment("dev")
    assert env.network == "private"
    assert build_plan(env, build, AzureState.empty()).risks == ()
    endpoint = build / "ml" / "azureml" / "endpoint.yml"
    text = endpoint.read_text()
    assert "public_network_access: enabled" in text
    endpoint.write_text(text.replace("public_network_access: enabled", "public_network_access: disabled"))
    closed = build_plan(env, build, AzureState.empty())
    assert len(closed.risks) == 1 and "public network access enabled" in closed.risks[0]
    assert "Documented risks" in plan_markdown(closed)
    assert '"risks": [' in closed.to_json()


def test_only_a_pending_connection_carrying_the_request_from_outside_the_subscription_is_the_cluster_s() -> (
    None
):
    from environments.deploy.cluster_approvals import connections_from_endpoint

    subscription = "00000000-0000-0000-0000-000000000000"

    def connection(name: str, status: str, description: str, endpoint_subscription: str) -> dict:
        return {
            "id": name,
            "properties": {
                "privateEndpoint": {
                    "id": f"/subscriptions/{endpoint_subscription}/resourceGroups/x/providers/"
                    f"Microsoft.Network/privateEndpoints/{name}"
                },
                "privateLinkServiceConnectionState": {"status": status, "description": description},
            },
        }

    message = "Stream Analytics cluster c: managed private endpoint evh"
    candidates = [
        connection("ours", "Pending", message, MANAGED_SUBSCRIPTION),
        connection("approved-already", "Approved", message, MANAGED_SUBSCRIPTION),
        connection("someone-else", "Pending", "let me in", MANAGED_SUBSCRIPTION),
        connection("own-network", "Pending", message, subscription),
    ]
    assert [c["id"] for c in connections_from_endpoint(candidates, message, subscription)] == ["ours"]
