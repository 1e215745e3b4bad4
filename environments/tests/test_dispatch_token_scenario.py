"""The retrain Logic App's GitHub token in a private environment (decision 0016), against the simulated
control plane: ARM fills the app's securestring parameter from the private vault while it deploys (a
Key Vault reference apply builds from the template's metadata), so the app, which runs outside the
network, never reads the vault; a first deploy, before the secret exists, deploys the app disabled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.azure_sim.testing import Subscription
from environments.deploy.azure_apply import ApplyError, deployment_body, secure_value
from environments.deploy.vault_parameters import store_secret, vault_id
from environments.loader import load_environment
from environments.naming import resource_names
from monitoring.render_context import dispatch_token_secret

ENV = load_environment("dev")
TOKEN = "github_pat_token-of-the-test"
pytestmark = [
    pytest.mark.usefixtures("registry_template_check_offline", "workflow_repository"),
    pytest.mark.services,
]


def _retrain_app(subscription: Subscription) -> dict:
    workflow = resource_names(ENV).base + "-retrain"
    return next(
        value
        for key, value in subscription.resources().items()
        if "microsoft.logic/workflows" in key.lower() and key.endswith(f"/{workflow}")
    )


def _alerts_step(plan):
    return next(step for step in plan.steps if step.source.endswith("drift-alerts.json"))


def test_before_the_secret_exists_the_app_deploys_with_an_empty_token(subscription: Subscription) -> None:
    assert ENV.network == "private"
    plan, _ = subscription.deploy()
    assert plan.outside == (), "nothing refused, no flag"
    step = _alerts_step(plan)
    assert step.secure_parameters == ("dispatchToken",)
    assert secure_value(ENV, step, "dispatchToken", subscription.clients) is None
    app = _retrain_app(subscription)
    assert app["properties"]["parameters"]["dispatchToken"] == {"value": ""}
    assert app["properties"]["state"].startswith("[if(empty(parameters('dispatchToken'))"), (
        "Disabled when empty"
    )


def test_a_stored_token_reaches_the_app_through_a_reference_and_nowhere_else(
    subscription: Subscription, capsys: pytest.CaptureFixture[str]
) -> None:
    subscription.deploy(stage="infra")
    store_secret(ENV, subscription.clients, dispatch_token_secret(ENV), TOKEN, "GitHub token")
    plan, _ = subscription.deploy()
    app = _retrain_app(subscription)
    assert app["properties"]["parameters"]["dispatchToken"] == {"value": TOKEN}, "ARM resolved the reference"
    assert "identity" not in app, "no run-time vault read, so no identity"
    step = _alerts_step(plan)
    body = deployment_body(
        step, {"dispatchToken": secure_value(ENV, step, "dispatchToken", subscription.clients)}
    )
    vault = f"/subscriptions/{subscription.azure.subscription_id}/{vault_id(ENV)}"
    assert body["properties"]["parameters"]["dispatchToken"] == {
        "reference": {"keyVault": {"id": vault}, "secretName": "github-dispatch-token"}
    }
    assert TOKEN not in json.dumps(body) and TOKEN not in plan.to_json()
    assert TOKEN not in capsys.readouterr().out
    assert not [p for p in subscription.build.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]


def test_rotating_the_token_is_a_store_and_a_deploy(subscription: Subscription) -> None:
    subscription.deploy(stage="infra")
    store_secret(ENV, subscription.clients, dispatch_token_secret(ENV), TOKEN, "GitHub token")
    subscription.deploy(stage="infra")
    store_secret(ENV, subscription.clients, dispatch_token_secret(ENV), TOKEN + "-new", "GitHub token")
    subscription.deploy(stage="infra")
    assert _retrain_app(subscription)["properties"]["parameters"]["dispatchToken"] == {
        "value": TOKEN + "-new"
    }


def test_a_private_vault_that_lets_no_trusted_service_through_fails_the_alerts_deployment(
    subscription: Subscription,
) -> None:
    path = subscription.build / "environments" / "arm" / "shared-infra.json"
    template = json.loads(path.read_text(encoding="utf-8"))
    vault = next(r for r in template["resources"] if r["type"] == "Microsoft.KeyVault/vaults")
    assert vault["properties"]["publicNetworkAccess"] == "Disabled"
    vault["properties"]["networkAcls"]["bypass"] = "None"
    path.write_text(json.dumps(template), encoding="utf-8")
    subscription.deploy(stage="infra")  # no secret yet: nothing to resolve
    store_secret(ENV, subscription.clients, dispatch_token_secret(ENV), TOKEN, "GitHub token")
    with pytest.raises(ApplyError, match=r"drift-alerts.*ForbiddenByFirewall.*bypass"):
        subscription.deploy(stage="infra")


def test_the_command_refuses_an_empty_token_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from monitoring.cli.dispatch_token import main

    empty = tmp_path / "token"
    empty.write_text("\n", encoding="utf-8")
    assert main(["dev", "--token-file", str(tmp_path / "absent")]) == 1
    assert "--token-file" in capsys.readouterr().err
    assert main(["dev", "--token-file", str(empty)]) == 1
    assert "holds no token" in capsys.readouterr().err
