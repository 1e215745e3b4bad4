"""Deploying to Azure, against the simulated control plane (environments/azure_sim).

The real SDK clients run unchanged on the simulator's transport; the simulator enforces the documented
rules (a missing resource group, a running stream job refusing changes, resuming only a job started
before, endpoint traffic, a role assignment's delay, request bodies the SDK models accept). The endpoint
rollout (`python -m ml rollout <env>`) runs for real in apply's process, azure-ai-ml's MLClient on the
simulator, its smoke test answered by score.py's scoring of a tiny model. Training, promotion and the
drift schedule are stood in by `MLSteps` (they need Azure ML jobs and blob uploads, which the simulator
does not have): it journals them (with the model version a promotion asks for) and leaves what they
leave (the model manifest).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import azure.ai.ml._utils._endpoint_utils as endpoint_utils
import pytest

from environments.azure_sim import ArmError, SimulatedAzure, SimulatedTransport, StaticCredential
from environments.azure_sim.control_plane import Scorer
from environments.deploy.azure_apply import ApplyError, apply_plan, run_ml_command
from environments.deploy.azure_clients import AzureClients
from environments.deploy.azure_state import endpoint_id, read_azure_state
from environments.deploy.deployed_settings import app_insights_id, telemetry_reference, telemetry_secret_uri
from environments.deploy.ml_operations import registry_owner, rollout_registry_assets
from environments.deploy.plan import Plan, Step, build_plan, select_stage
from environments.deploy.release import ReleaseError, read_release, release_path
from environments.loader import load_environment
from environments.model import Environment
from environments.naming import resource_names
from environments.render import render_environment
from environments.telemetry_variables import CONNECTION_STRING_SECRET_VAR, CONNECTION_STRING_VAR
from ml.serving.azure_endpoint import build_deployment
from ml.serving.errors import RolloutError
from ml.serving.manifests import ModelRef
from ml.testing import deployment_scorer, tiny_model_dir
from monitoring.cli.drift_pipeline import drift_schedule
from monitoring.drift.secret_settings import read_secret, resolve_secret_settings

ENV = load_environment("dev")
GROUP = ENV.azure.resource_group if ENV.azure else ""
JOB = f"resourceGroups/{GROUP}/providers/Microsoft.StreamAnalytics/streamingjobs/{resource_names(ENV).stream_job}"
TRAINED_VERSION = "7"
REAL_ML_STEPS = ("endpoint-rollout",)  # run for real (azure-ai-ml's MLClient on the simulator's transport)


class MLSteps:
    """The Azure ML steps: `REAL_ML_STEPS` run for real, in process, through the simulator's transport;
    the others are stood in: what `python -m ml pipeline <env>` leaves behind is the model manifest (dev
    trains version TRAINED_VERSION, a promotion takes the version on its command line)."""

    def __init__(
        self, azure: SimulatedAzure, root: Path, env: Environment, settings: dict[str, dict[str, str]]
    ) -> None:
        self.azure, self.root, self.env, self.settings = azure, root, env, settings

    def __call__(self, step: Step, settings: dict[str, str]) -> None:
        self.settings[step.name] = settings
        if step.name in REAL_ML_STEPS:
            run_ml_command(step, settings)
            return
        command = step.request["command"]
        version = command[command.index("--version") + 1] if "--version" in command else TRAINED_VERSION
        self.azure.note(f"ML {step.name}" + (f" {version}" if step.name == "promote" else ""))
        build = self.root / "build" / self.env.name
        if step.name in ("train", "promote"):
            manifest = {
                "model_name": self.env.model.name,
                "version": version,
                "model_uri": f"azureml://registries/sscore-registry/models/card-fraud/versions/{version}",
            }
            (build / "state" / "ml").mkdir(parents=True, exist_ok=True)
            (build / "state" / "ml" / "model-manifest.json").write_text(
                json.dumps(manifest), encoding="utf-8"
            )


class Subscription:
    """One simulated subscription and the repository's rendered files of an environment, deployed as
    `nox -s deploy-<env>` does: read the state, build the plan, apply it."""

    def __init__(
        self,
        root: Path,
        scorer: Scorer,
        env_name: str = "dev",
        azure: SimulatedAzure | None = None,
        principal: str = "deployer",
    ) -> None:
        self.env = load_environment(env_name)
        self.azure = azure or SimulatedAzure()
        self.azure.serve(
            resource_names(self.env).endpoint, scorer
        )  # the endpoint's data plane: score.py's scoring
        self.clients = AzureClients(
            self.azure.subscription_id, StaticCredential(principal), SimulatedTransport(self.azure)
        )
        self.root, self.build = root, root / "build" / env_name
        self.ml_settings: dict[str, dict[str, str]] = {}  # what apply handed each Azure ML step
        render_environment(env_name, out=self.build)

    def plan(self, stage: str | None = None, release: dict[str, Any] | None = None) -> Plan:
        assets = rollout_registry_assets(registry_owner(self.env), self.build)
        state = read_azure_state(self.env, self.clients, assets)
        return select_stage(build_plan(self.env, self.build, state, release), stage)

    def deploy(
        self,
        stage: str | None = None,
        release: dict[str, Any] | None = None,
        before_apply: Callable[[], None] = lambda: None,
    ) -> tuple[Plan, list[str]]:
        """Plan and apply; returns the plan and the changes the control plane received meanwhile."""
        plan, before = self.plan(stage, release), len(self.azure.journal)
        before_apply()
        run_ml = MLSteps(self.azure, self.root, self.env, self.ml_settings)
        apply_plan(self.env, plan, self.root, self.clients, run_ml=run_ml, report=lambda _: None)
        return plan, self.azure.journal[before:]

    def release(self) -> dict[str, Any]:
        """The release manifest this environment's deploy wrote (the workflow's artifact)."""
        return read_release(release_path(self.build))

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
        elif step.name in REAL_ML_STEPS:
            expected.extend(step.request["changes"])
        elif step.kind == "azureml":
            version = step.request["command"][-1] if step.name == "promote" else ""
            expected.append(f"ML {step.name} {version}".rstrip())
        elif step.kind in ("asa-stop", "asa-start"):
            expected.append(f"POST {step.target}/{step.kind.removeprefix('asa-')}")
    return [entry.lower() for entry in expected]


REPOSITORY = "octo-org/streamscore-fork"


@pytest.fixture(autouse=True)
def workflow_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply runs in a workflow of this repository (GITHUB_REPOSITORY, as GitHub Actions sets it)."""
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)


@pytest.fixture(autouse=True)
def registry_template_check_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """azure-ai-ml's check of a registry model's default deployment template only logs, and builds its
    own registry client without the caller's transport (it would try the real network): skipped."""
    monkeypatch.setattr(endpoint_utils, "check_default_deployment_template", lambda *args, **kwargs: None)


@pytest.fixture(scope="module")
def scorer(tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    """score.py's scoring of a tiny trained model, as the simulated endpoint's deployments answer."""
    return deployment_scorer(tiny_model_dir(tmp_path_factory.mktemp("model"), ENV.data_schema()))


@pytest.fixture
def subscription(tmp_path: Path, scorer: Scorer) -> Subscription:
    return Subscription(tmp_path, scorer)


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


def test_one_release_goes_from_dev_to_staging_to_prod_with_the_same_versions(
    tmp_path: Path, scorer: Scorer
) -> None:
    """(d) dev trains and writes the release; staging deploys exactly it, prod exactly what staging
    deployed; nothing is trained outside dev and no stage asks for a `latest` version."""
    azure = SimulatedAzure()
    dev, staging, prod = (Subscription(tmp_path, scorer, name, azure) for name in ("dev", "staging", "prod"))
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
    for plan, changes in ((staging_plan, staging_changes), (prod_plan, prod_changes)):
        assert [c.lower() for c in changes] == changes_of(plan)
        assert f"ML promote {TRAINED_VERSION}" in changes
        assert not [c for c in changes if c.startswith("ML train")], "nothing is trained outside dev"
        promote = next(step for step in plan.steps if step.name == "promote")
        assert promote.request["entities"] == {}, "no training entities outside dev"
        assert not [op for op in promote.request["operations"] if "pipeline job" in op or "data asset" in op]
        assert "latest" not in json.dumps([step.request.get("command") for step in plan.steps])
        assert GROUP not in json.dumps(plan.to_json()), "no write outside its own resource group"
        assert not [c for c in changes if GROUP.lower() in c.lower()]


def test_prod_refuses_a_release_staging_has_not_deployed(tmp_path: Path, scorer: Scorer) -> None:
    azure = SimulatedAzure()
    dev, prod = Subscription(tmp_path, scorer, "dev", azure), Subscription(tmp_path, scorer, "prod", azure)
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
    apply_plan(
        ENV,
        plan,
        subscription.root,
        subscription.clients,
        run_ml=MLSteps(subscription.azure, subscription.root, ENV, subscription.ml_settings),
        report=lines.append,
    )
    appi = subscription.azure.get(app_insights_id(ENV))
    assert appi is not None, "shared-infra deploys Application Insights"
    connection = appi["properties"]["ConnectionString"]
    steps = {step.name: step for step in plan.steps}
    assert steps["endpoint-rollout"].request["settings"] == telemetry_reference(ENV)
    assert subscription.ml_settings["endpoint-rollout"] == {CONNECTION_STRING_VAR: connection}
    assert subscription.ml_settings["train"] == subscription.ml_settings["drift-schedule"] == {}, (
        "only the rollout gets the value"
    )
    served = subscription.azure.get(f"{endpoint_id(ENV)}/deployments/blue")
    assert served is not None, "the rollout created deployment blue"
    assert served["properties"]["environmentVariables"][CONNECTION_STRING_VAR] == connection
    assert connection not in plan.to_json() and not [line for line in lines if connection in line]
    assert not [
        p for p in subscription.build.rglob("*") if p.is_file() and connection in p.read_text("utf-8")
    ]

    uri = "azureml://registries/sscore-registry/models/card-fraud/versions/7"
    pipeline = subscription.build / "monitoring" / "azureml" / "pipelines" / "drift.yml"
    schedule = drift_schedule(ENV, pipeline, uri)
    secret = telemetry_secret_uri(ENV)
    assert schedule.create_job.jobs["drift"].environment_variables == {CONNECTION_STRING_SECRET_VAR: secret}
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
    tmp_path: Path, scorer: Scorer, monkeypatch: pytest.MonkeyPatch, delay: int
) -> None:
    """The registry owner grants staging's deploy identity AzureML Registry User just before its deploy
    (docs/identities.md): its registry calls answer 403 until the assignment takes effect; the rollout
    retries within the documented propagation time, and past it names the principal and the role."""
    azure = SimulatedAzure()
    Subscription(tmp_path, scorer, "dev", azure).deploy()
    monkeypatch.setenv("AZURE_CLIENT_ID", "staging-deployer")  # as azure/login sets it in the workflow
    staging = Subscription(tmp_path, scorer, "staging", azure, principal="staging-deployer")
    release = read_release(release_path(tmp_path / "build" / "dev"))
    azure.role_delay_calls = delay
    grant = lambda: azure.assign_role("staging-deployer", "AzureML Registry User", REGISTRY)  # noqa: E731
    if delay < 100:
        plan, changes = staging.deploy(release=release, before_apply=grant)
        assert [c.lower() for c in changes] == changes_of(plan)
        assert staging.job()["jobState"] == "Running"
        assert azure.refused_calls == delay, "every call before the assignment took effect was refused"
        return
    with pytest.raises(
        ApplyError,
        match=r"endpoint-rollout: .*staging-deployer still lacks role 'AzureML Registry User' on registry "
        r"sscore-registry after \d+ attempts.*AuthorizationFailed",
    ):
        staging.deploy(release=release, before_apply=grant)
