"""Deploying to Azure, against the simulated control plane (environments/azure_sim).

The real SDK clients run unchanged on the simulator's transport; the simulator enforces the documented
rules (a missing resource group, a running stream job refusing changes, resuming only a job started
before, endpoint traffic, a role assignment's delay, request bodies the SDK models accept, jobs and
schedules naming missing asset versions); files go to a real Azurite. Promotion, the endpoint rollout
(its smoke test answered by score.py's scoring of a tiny model) and the drift schedule run for real in
apply's process, azure-ai-ml's MLClient on the simulator. The training run is stood in by `MLSteps` up
to what it leaves (the registry version with its files); the promotion it ends with runs for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.azure_sim import ArmError, SimulatedAzure, SimulatedTransport, StaticCredential
from environments.azure_sim.control_plane import Scorer
from environments.azure_sim.testing import (
    REPOSITORY,
    TRAINED_VERSION,
    MLSteps,
    Subscription,
    same_changes,
    stream_job_path,
)
from environments.deploy.azure_apply import ApplyError, apply_plan, deployment_body, secure_value
from environments.deploy.azure_state import endpoint_id
from environments.deploy.deployed_settings import (
    app_insights_id,
    drift_sign_in_reference,
    telemetry_reference,
    telemetry_secret_uri,
)
from environments.deploy.endpoint_key import (
    ENDPOINT_KEY_SECRET,
    KEY_PARAMETER,
    KEY_TAG,
    EndpointKeyError,
    KeyPlaces,
    rotate,
)
from environments.deploy.release import ReleaseError, read_release, release_path
from environments.loader import load_environment
from environments.naming import resource_names
from environments.telemetry_variables import (
    AUTHENTICATION_STRING_VAR,
    CONNECTION_STRING_SECRET_VAR,
    CONNECTION_STRING_VAR,
    TELEMETRY_CLIENT_ID_VAR,
)
from ml.serving.azure_endpoint import build_deployment
from ml.serving.errors import RolloutError
from ml.serving.manifests import ModelRef
from monitoring.cli.drift_pipeline import drift_schedule
from monitoring.drift.errors import DriftPipelineError
from monitoring.drift.secret_settings import read_secret, resolve_secret_settings

ENV = load_environment("dev")
GROUP = ENV.azure.resource_group if ENV.azure else ""
JOB = stream_job_path(ENV)


pytestmark = [
    pytest.mark.usefixtures("registry_template_check_offline", "workflow_repository"),
    pytest.mark.services,
]


def test_a_first_deploy_into_an_empty_subscription_performs_exactly_the_plan(
    subscription: Subscription,
) -> None:
    plan, changes = subscription.deploy()
    assert same_changes(changes, plan)
    assert changes[0] == f"PUT resourcegroups/{GROUP}", "the resource group is created before anything else"
    kinds = [step.kind for step in plan.steps]
    assert kinds.index("azureml") < kinds.index("gate") < kinds.index("asa-start"), (
        "ML before Stream Analytics"
    )
    job = subscription.job()
    assert (job["jobState"], job["lastStartMode"]) == ("Running", "JobStartTime")
    logic_app = next(
        v
        for k, v in subscription.resources().items()
        if "microsoft.logic/workflows" in k.lower() and k.endswith("-retrain")
    )
    assert logic_app["properties"]["parameters"]["repository"] == {"value": REPOSITORY}, (
        "the retrain dispatch goes to the repository the workflow runs in"
    )


def test_the_same_deploy_again_changes_nothing_and_leaves_the_job_running(subscription: Subscription) -> None:
    subscription.deploy()
    deployed = json.dumps(subscription.resources(), sort_keys=True)
    plan, changes = subscription.deploy()
    assert same_changes(changes, plan)
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
    assert same_changes(changes, plan)
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
    assert same_changes(changes, plan)
    assert plan.steps[0].name == "check-resource-group"
    assert subscription.job()["jobState"] == "Running"


def test_an_azure_ml_step_failing_half_way_keeps_the_new_model_serving_and_a_rerun_completes(
    subscription: Subscription,
) -> None:
    """The drift schedule (a real Azure ML step, after the rollout) is refused by Azure: the deploy names
    the step and Azure's error, the endpoint keeps serving the promoted version at 100%, nothing after
    the step ran; the rerun creates the schedule and completes."""
    plan = subscription.plan()
    schedule = next(step for step in plan.steps if step.name == "drift-schedule")
    subscription.azure.fail_next(
        f"PUT {schedule.request['changes'][-1].removeprefix('PUT ')}",
        ArmError(400, "UserError", "Compute cluster is not in a usable state"),  # not retried by the SDK
    )
    with pytest.raises(ApplyError, match=r"drift-schedule: .*UserError.*Compute cluster is not in a usable"):
        subscription.deploy()
    endpoint = subscription.azure.get(endpoint_id(ENV))
    assert endpoint is not None and endpoint["properties"]["traffic"] == {"blue": 100}
    assert subscription.azure.get(JOB) is None, "nothing after the failed step ran"
    plan, changes = subscription.deploy()
    assert same_changes(changes, plan)
    assert subscription.azure.get(schedule.request["changes"][-1].removeprefix("PUT ")) is not None
    assert subscription.job()["jobState"] == "Running"


def test_the_workflow_s_two_stages_perform_the_whole_plan(subscription: Subscription) -> None:
    """deploy.yml runs `--stage ml`, then `--stage streaming` in another job, each planning afresh."""
    whole = subscription.plan()
    ml, ml_changes = subscription.deploy("ml")
    streaming, streaming_changes = subscription.deploy("streaming")
    assert [step.name for step in ml.steps + streaming.steps] == [step.name for step in whole.steps]
    assert same_changes(ml_changes + streaming_changes, whole)
    assert subscription.job()["jobState"] == "Running"


def test_one_release_goes_from_dev_to_staging_to_prod_with_the_same_versions(
    tmp_path: Path, scorer: Scorer, simulated_azure: SimulatedAzure, trained_model: Path
) -> None:
    """(d) dev trains and writes the release; staging deploys exactly it, prod exactly what staging
    deployed; nothing is trained outside dev and no stage asks for a `latest` version."""
    azure = simulated_azure
    dev, staging, prod = (
        Subscription(tmp_path, scorer, name, azure, model_dir=trained_model)
        for name in ("dev", "staging", "prod")
    )
    _, dev_changes = dev.deploy()
    from_dev = dev.release()
    assert from_dev["model"]["version"] == TRAINED_VERSION
    assert [d["environment"] for d in from_dev["deployed"]] == ["dev"]
    assert "ML train" in dev_changes

    staging_plan, staging_changes = staging.deploy(release=from_dev)
    from_staging = staging.release()
    prod_plan, prod_changes = prod.deploy(release=from_staging)
    from_prod = prod.release()

    versioned = ("release", "git_commit", "model", "environments", "components")
    assert {k: from_staging[k] for k in versioned} == {k: from_dev[k] for k in versioned}
    assert {k: from_prod[k] for k in versioned} == {k: from_dev[k] for k in versioned}
    assert [d["environment"] for d in from_prod["deployed"]] == ["dev", "staging", "prod"]
    for stage in (staging, prod):  # written by the real promotion from the registry version
        manifest = json.loads((stage.build / "state" / "ml" / "model-manifest.json").read_text("utf-8"))
        assert (manifest["version"], manifest["model_uri"]) == (TRAINED_VERSION, from_dev["model"]["uri"])
        assert Path(manifest["baseline_path"]).is_file(), "the baseline came down with the model"
    for plan, changes in ((staging_plan, staging_changes), (prod_plan, prod_changes)):
        assert same_changes(changes, plan)
        assert not [c for c in changes if c.startswith("ML train")], "nothing is trained outside dev"
        promote = next(step for step in plan.steps if step.name == "promote")
        assert promote.request["command"][-2:] == ["--version", TRAINED_VERSION]
        assert promote.request["entities"] == {}, "no training entities outside dev"
        assert not [op for op in promote.request["operations"] if "pipeline job" in op or "data asset" in op]
        assert "latest" not in json.dumps([step.request.get("command") for step in plan.steps])
        # The shared registry's id is the one mention of dev's group: its private endpoint and the workspace's
        # outbound rule point at it (a connection the registry owner approves), nothing is written there.
        registry = f"[resourceId('{GROUP}', 'Microsoft.MachineLearningServices/registries'"
        assert GROUP not in plan.to_json().replace(registry, ""), "no write outside its own resource group"
        assert not [c for c in changes if GROUP.lower() in c.lower()]


def test_prod_refuses_a_release_staging_has_not_deployed(
    tmp_path: Path, scorer: Scorer, simulated_azure: SimulatedAzure, trained_model: Path
) -> None:
    azure = simulated_azure
    dev = Subscription(tmp_path, scorer, "dev", azure, model_dir=trained_model)
    prod = Subscription(tmp_path, scorer, "prod", azure, model_dir=trained_model)
    dev.deploy()
    with pytest.raises(ReleaseError, match=r"prod: refusing release sha256:\w+: staging has not deployed"):
        prod.deploy(release=dev.release())
    edited = {**dev.release(), "deployed": [{"environment": "staging", "smoke_test": "passed"}]}
    edited["model"] = {**edited["model"], "version": "8"}
    with pytest.raises(ReleaseError, match=r"prod: refusing release .*edited after dev wrote it"):
        prod.deploy(release=edited)
    with pytest.raises(ReleaseError, match=r"staging: deploys a release manifest only"):
        Subscription(tmp_path, scorer, "staging", azure).plan()
    assert not [c for c in azure.journal if "rg-streamscore-prod" in c], "a refused release deploys nothing"


def test_the_endpoint_deployment_carries_the_connection_string_and_the_drift_job_its_key_vault_secret(
    subscription: Subscription,
) -> None:
    """(f) the rollout's plan step carries a reference to the deployed Application Insights resource;
    apply reads the connection string and hands it to the rollout alone, which sets it on the deployment.
    The drift schedule names the Key Vault secret ARM wrote the string into, and the job reads it when it
    starts. The value is in no plan, rendered file, report line or schedule definition."""
    lines: list[str] = []
    plan = subscription.plan()
    with subscription.blob_routing():
        apply_plan(
            ENV,
            plan,
            subscription.root,
            subscription.clients,
            run_ml=MLSteps(subscription.azure, ENV, subscription.ml_settings, subscription.model_dir),
            report=lines.append,
        )
    appi = subscription.azure.get(app_insights_id(ENV))
    assert appi is not None, "shared-infra deploys Application Insights"
    connection = appi["properties"]["ConnectionString"]
    steps = {step.name: step for step in plan.steps}
    identity = subscription.azure.get(drift_sign_in_reference(ENV)[TELEMETRY_CLIENT_ID_VAR]["resource"])
    client_id = identity["properties"]["clientId"]
    assert steps["endpoint-rollout"].request["settings"] == telemetry_reference(ENV)
    assert subscription.ml_settings["endpoint-rollout"] == {CONNECTION_STRING_VAR: connection}
    assert steps["drift-schedule"].request["settings"] == drift_sign_in_reference(ENV)
    assert subscription.ml_settings["drift-schedule"] == {TELEMETRY_CLIENT_ID_VAR: client_id}, (
        "the drift job reads the connection string from Key Vault itself"
    )
    assert subscription.ml_settings["train"] == {}, "only the steps that need it get it"
    served = subscription.azure.get(f"{endpoint_id(ENV)}/deployments/blue")
    assert served is not None, "the rollout created deployment blue"
    assert served["properties"]["environmentVariables"][CONNECTION_STRING_VAR] == connection
    assert connection not in plan.to_json() and not [line for line in lines if connection in line]
    assert not [
        p for p in subscription.build.rglob("*") if p.is_file() and connection.encode() in p.read_bytes()
    ]

    uri = "azureml://registries/sscore-registry/models/card-fraud/versions/7"
    pipeline = subscription.build / "monitoring" / "azureml" / "pipelines" / "drift.yml"
    schedule = drift_schedule(ENV, pipeline, uri, client_id)
    secret = telemetry_secret_uri(ENV)
    assert schedule.create_job.jobs["drift"].environment_variables == {
        CONNECTION_STRING_SECRET_VAR: secret,
        AUTHENTICATION_STRING_VAR: f"Authorization=AAD;ClientId={client_id}",
    }, "the drift job signs in as its identity: Application Insights refuses the key"
    with pytest.raises(DriftPipelineError, match=TELEMETRY_CLIENT_ID_VAR):
        drift_schedule(ENV, pipeline, uri, None)
    assert schedule.create_job.inputs["baseline"]._data.path == uri, "the serving version, never @latest"
    assert schedule._validate().passed, (
        "azure-ai-ml serializes it (what schedules.begin_create_or_update does)"
    )
    assert str(schedule.create_job.jobs["drift"].component.environment).startswith(
        "azureml://registries/sscore-registry/environments/card-fraud-drift/versions/"
    ), "the drift environment is shared through the registry"
    # When the job starts: its identity reads the secret ARM wrote from the deployed component.
    job_environment = {CONNECTION_STRING_SECRET_VAR: secret}
    transport = SimulatedTransport(subscription.azure)
    read = lambda uri: read_secret(uri, StaticCredential("drift-identity"), transport)  # noqa: E731
    assert resolve_secret_settings(job_environment, read) == [CONNECTION_STRING_VAR]
    assert job_environment[CONNECTION_STRING_VAR] == connection
    with pytest.raises(RolloutError, match="telemetry off"):
        build_deployment(
            subscription.build / "ml" / "azureml", "blue", ModelRef("card-fraud", "7", uri), None
        )


REGISTRY = (
    "resourceGroups/rg-streamscore-dev/providers/Microsoft.MachineLearningServices/registries/sscore-registry"
)


@pytest.mark.parametrize("delay", [5, 10_000], ids=["takes-effect", "never"])
def test_a_fresh_registry_role_is_waited_for_and_named_when_it_never_takes_effect(
    tmp_path: Path,
    scorer: Scorer,
    simulated_azure: SimulatedAzure,
    trained_model: Path,
    monkeypatch: pytest.MonkeyPatch,
    delay: int,
) -> None:
    """The registry owner grants staging's deploy identity AzureML Registry User just before its deploy
    (docs/identities.md): its registry calls answer 403 until the assignment takes effect; the rollout
    retries within the documented propagation time, and past it names the principal and the role."""
    azure = simulated_azure
    Subscription(tmp_path, scorer, "dev", azure, model_dir=trained_model).deploy()
    monkeypatch.setenv("AZURE_CLIENT_ID", "staging-deployer")  # as azure/login sets it in the workflow
    staging = Subscription(tmp_path, scorer, "staging", azure, principal="staging-deployer")
    release = read_release(release_path(tmp_path / "build" / "dev"))
    azure.role_delay_calls = delay
    grant = lambda: azure.assign_role("staging-deployer", "AzureML Registry User", REGISTRY)  # noqa: E731
    if delay < 100:
        plan, changes = staging.deploy(release=release, before_apply=grant)
        assert same_changes(changes, plan)
        assert staging.job()["jobState"] == "Running"
        assert azure.refused_calls == delay, "every call before the assignment took effect was refused"
        return
    with pytest.raises(
        ApplyError,
        match=r"promote: .*staging-deployer still lacks role 'AzureML Registry User' on registry "
        r"sscore-registry after \d+ attempts.*AuthorizationFailed",
    ):
        staging.deploy(release=release, before_apply=grant)


def _endpoint_keys(subscription: Subscription) -> dict[str, str]:
    names = resource_names(ENV)
    endpoint = (
        f"resourceGroups/{GROUP}/providers/Microsoft.MachineLearningServices/workspaces/{names.workspace}"
        f"/onlineEndpoints/{names.endpoint}"
    )
    return subscription.azure.endpoint_keys.list(subscription.azure._key(endpoint), names.endpoint)


def _stored_key(subscription: Subscription) -> tuple[str, str]:
    secret = subscription.azure.get(KeyPlaces.of(ENV).secret_id)
    assert secret is not None, "the deploy stores the endpoint key in Key Vault"
    return secret["properties"]["value"], secret["tags"][KEY_TAG]


def _job_key(subscription: Subscription) -> str:
    (function,) = subscription.job()["functions"]
    return function["properties"]["properties"]["binding"]["properties"]["apiKey"]


def test_the_job_gets_the_endpoint_key_from_key_vault_and_nothing_else_holds_it(
    subscription: Subscription, capsys: pytest.CaptureFixture[str]
) -> None:
    plan, _ = subscription.deploy()
    primary = _endpoint_keys(subscription)["primaryKey"]
    assert _stored_key(subscription) == (primary, "primary")
    assert _job_key(subscription) == primary, "ARM resolved the Key Vault reference for the job"
    job_step = next(
        step for step in plan.steps if step.target == JOB or step.source.endswith("stream-job.json")
    )
    body = deployment_body(
        job_step, {KEY_PARAMETER: secure_value(ENV, job_step, KEY_PARAMETER, subscription.clients)}
    )
    assert body["properties"]["parameters"][KEY_PARAMETER] == {
        "reference": {
            "keyVault": {
                "id": f"/subscriptions/{subscription.azure.subscription_id}/{KeyPlaces.of(ENV).vault_id}"
            },
            "secretName": ENDPOINT_KEY_SECRET,
        }
    }, "the deploy sends a reference, never the key"
    assert primary not in json.dumps(body) and primary not in plan.to_json()
    assert primary not in capsys.readouterr().out
    assert not [
        p for p in subscription.build.rglob("*") if p.is_file() and primary.encode() in p.read_bytes()
    ]
    again, changes = subscription.deploy()
    assert "store-endpoint-key" not in [step.name for step in again.steps], "stored once, then only rotated"
    assert not [change for change in changes if "secrets" in change.lower()]


def test_rotate_key_moves_the_job_to_a_new_key_and_kills_the_old_one(subscription: Subscription) -> None:
    subscription.deploy()
    before = _endpoint_keys(subscription)
    lines: list[str] = []
    journal = len(subscription.azure.journal)

    assert rotate(ENV, subscription.clients, report=lines.append) == "secondary"

    after = _endpoint_keys(subscription)
    assert after["secondaryKey"] != before["secondaryKey"] and after["primaryKey"] != before["primaryKey"]
    assert _stored_key(subscription) == (after["secondaryKey"], "secondary")
    assert _job_key(subscription) == after["secondaryKey"]
    job = subscription.job()
    assert (job["jobState"], job["lastStartMode"]) == ("Running", "LastOutputEventTime"), (
        "resumed, nothing lost"
    )
    changes = [change.lower().rsplit("/", 1)[-1] for change in subscription.azure.journal[journal:]]
    # The new key reaches the job before the old one is regenerated: the job never calls with a dead key.
    assert changes == ["regeneratekeys", "stop", "score", "start", "scoring-endpoint-key", "regeneratekeys"]
    keys = [*before.values(), *after.values()]
    assert not [line for line in lines if any(key in line for key in keys)], "no key in the output"
    assert len(lines) == 4

    assert rotate(ENV, subscription.clients, report=lines.append) == "primary", "each run flips the keys"
    assert _job_key(subscription) == _endpoint_keys(subscription)["primaryKey"]


def test_a_rotation_that_fails_at_the_job_leaves_it_running_on_its_key_and_can_be_run_again(
    subscription: Subscription,
) -> None:
    subscription.deploy()
    primary = _endpoint_keys(subscription)["primaryKey"]
    function = f"PATCH {JOB}/functions/score"
    subscription.azure.fail_next(function, ArmError(409, "Conflict", "function update failed"))

    with pytest.raises(EndpointKeyError, match=r"step 2 .*function update failed"):
        rotate(ENV, subscription.clients, report=lambda _: None)

    job = subscription.job()
    assert job["jobState"] == "Running" and _job_key(subscription) == primary, "still working on its key"
    assert _stored_key(subscription) == (primary, "primary")
    assert _endpoint_keys(subscription)["primaryKey"] == primary, "the key in use was not touched"

    assert rotate(ENV, subscription.clients, report=lambda _: None) == "secondary"
    assert _job_key(subscription) == _endpoint_keys(subscription)["secondaryKey"]
    assert _stored_key(subscription)[1] == "secondary"


def test_rotate_key_needs_a_deployed_environment(subscription: Subscription) -> None:
    subscription.deploy(stage="infra")
    with pytest.raises(EndpointKeyError, match="deploy dev first"):
        rotate(ENV, subscription.clients, report=lambda _: None)


def test_a_vault_closed_to_template_deployments_fails_the_job_deployment(subscription: Subscription) -> None:
    subscription.deploy()
    path = subscription.build / "environments" / "arm" / "shared-infra.json"
    template = json.loads(path.read_text(encoding="utf-8"))
    vault = next(r for r in template["resources"] if r["type"] == "Microsoft.KeyVault/vaults")
    vault["properties"]["enabledForTemplateDeployment"] = False
    path.write_text(json.dumps(template), encoding="utf-8")
    subscription.change_query("SELECT * INTO [scored-blob] FROM [transactions]")
    with pytest.raises(ApplyError, match="enabledForTemplateDeployment"):
        subscription.deploy()
