"""Deploying an environment into a simulated subscription, as `nox -s deploy-<env>` does: shared by the
deploy scenario and release rollback tests.

The real SDK clients run unchanged on the simulator's transport, their files in Azurite (blob_routing.py).
Promotion, the endpoint rollout (its smoke test answered by score.py's scoring of a tiny model) and the
drift schedule run for real in apply's process. The training run is stood in by `MLSteps` up to what it
leaves (the registry version with its files, decision 0017); the promotion it ends with runs for real and
writes the model manifest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from environments.azure_sim.blob_routing import account_url, route_blobs_to
from environments.azure_sim.control_plane import Scorer, SimulatedAzure
from environments.azure_sim.managed_private_endpoints import connection_name
from environments.azure_sim.transport import SimulatedTransport, StaticCredential
from environments.deploy.azure_apply import apply_plan, run_ml_command
from environments.deploy.azure_clients import AzureClients
from environments.deploy.azure_state import read_azure_state
from environments.deploy.cluster_approvals import APPROVAL_KIND
from environments.deploy.ml_operations import ANONYMOUS_COMPONENT, ml_asset_versions
from environments.deploy.plan import Plan, Step, build_plan, select_stage
from environments.deploy.release import read_release, release_path
from environments.loader import load_environment
from environments.model import Environment
from environments.naming import resource_names
from environments.render import render_environment

TRAINED_VERSION = "7"
"""The model version the simulated training registers."""
REPOSITORY = "octo-org/streamscore-fork"
"""The repository apply runs in (GITHUB_REPOSITORY, as GitHub Actions sets it)."""


def stream_job_path(env: Environment) -> str:
    """The stream job's resource path (below the subscription) in the simulator."""
    assert env.azure is not None, f"{env.name} is not an Azure environment"
    return (
        f"resourceGroups/{env.azure.resource_group}/providers/Microsoft.StreamAnalytics/streamingjobs/"
        f"{resource_names(env).stream_job}"
    )


REAL_ML_STEPS = ("promote", "endpoint-rollout", "drift-schedule", "export-schedule")
"""The Azure ML steps run for real (azure-ai-ml's MLClient on the simulator's transport, blobs in Azurite)."""
REGISTRY_MODELS_CONTAINER = "registry-models"


def publish_trained_model(azure: SimulatedAzure, env: Environment, model_dir: Path, version: str) -> None:
    """What a training run leaves in the shared registry: model `version` with its files (the model
    folder, baseline included) in blob storage, as sharing it from the workspace would."""
    owner = load_environment("dev")
    assert owner.azure is not None and azure.blobs is not None, "publishing needs the simulator's blobs"
    registry = resource_names(owner).registry
    prefix = f"{env.model.name}/{version}"
    azure.blobs.upload_folder(REGISTRY_MODELS_CONTAINER, prefix, model_dir)
    path = (
        f"resourceGroups/{owner.azure.resource_group}/providers/Microsoft.MachineLearningServices/registries/"
        f"{registry}/models/{env.model.name}/versions/{version}"
    )
    azure.arrange(
        path,
        {
            "name": version,
            "properties": {
                "modelUri": f"{account_url()}/{REGISTRY_MODELS_CONTAINER}/{prefix}",
                "modelType": "mlflow_model",
                "flavors": {"python_function": {"data": {"loader_module": "mlflow.sklearn"}}},
                "tags": {},
            },
        },
    )
    azure.resources[path.lower()]["id"] = (
        f"azureml://registries/{registry}/models/{env.model.name}/versions/{version}"
    )


class MLSteps:
    """The Azure ML steps: `REAL_ML_STEPS` run for real, in process, through the simulator's transport
    and Azurite. Training is stood in up to what its run leaves (model TRAINED_VERSION in the registry,
    `publish_trained_model`); the promotion that ends `python -m ml pipeline dev` then runs for real."""

    def __init__(
        self,
        azure: SimulatedAzure,
        env: Environment,
        settings: dict[str, dict[str, str]],
        model_dir: Path | None,
    ) -> None:
        self.azure, self.env, self.settings, self.model_dir = azure, env, settings, model_dir

    def __call__(self, step: Step, settings: dict[str, str]) -> None:
        self.settings[step.name] = settings
        if step.name in REAL_ML_STEPS:
            run_ml_command(step, settings)
            return
        assert step.name == "train", f"no stand-in for step {step.name}"
        assert self.model_dir is not None, "the training stand-in needs Subscription(model_dir=...)"
        self.azure.note("ML train")
        publish_trained_model(self.azure, self.env, self.model_dir, TRAINED_VERSION)
        command = [*step.request["command"], "--promote", "--version", TRAINED_VERSION]
        run_ml_command(replace(step, request={**step.request, "command": command}), settings)


class Subscription:
    """One simulated subscription and the repository's rendered files of an environment, deployed as
    `nox -s deploy-<env>` does: read the state, build the plan, apply it. `scorer` answers the online
    endpoint's data plane (`ml.testing.deployment_scorer`: score.py's scoring of a model folder)."""

    def __init__(
        self,
        root: Path,
        scorer: Scorer,
        env_name: str = "dev",
        azure: SimulatedAzure | None = None,
        principal: str = "deployer",
        model_dir: Path | None = None,
    ) -> None:
        self.env = load_environment(env_name)
        self.azure = azure or SimulatedAzure()
        self.azure.serve(resource_names(self.env).endpoint, scorer)
        self.clients = AzureClients(
            self.azure.subscription_id, StaticCredential(principal), SimulatedTransport(self.azure)
        )
        self.root, self.build, self.model_dir = root, root / "build" / env_name, model_dir
        self.ml_settings: dict[str, dict[str, str]] = {}  # what apply handed each Azure ML step
        render_environment(env_name, out=self.build)

    def plan(self, stage: str | None = None, release: dict[str, Any] | None = None) -> Plan:
        assets = ml_asset_versions(self.env, self.build)
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
        run_ml = MLSteps(self.azure, self.env, self.ml_settings, self.model_dir)
        with self.blob_routing():
            apply_plan(self.env, plan, self.root, self.clients, run_ml=run_ml, report=lambda _: None)
        return plan, self.azure.journal[before:]

    def blob_routing(self) -> AbstractContextManager[None]:
        """azure-ai-ml's own storage clients sent to the simulator's Azurite (blob_routing.py)."""
        return nullcontext() if self.azure.blobs is None else route_blobs_to(self.azure.blobs.endpoint)

    def release(self) -> dict[str, Any]:
        """The release manifest this environment's deploy wrote (the workflow's artifact)."""
        return read_release(release_path(self.build))

    def job(self) -> dict[str, Any]:
        """The stream job's properties as deployed (an assertion error when it never was)."""
        job = self.azure.get(stream_job_path(self.env))
        assert job is not None, f"the stream job {stream_job_path(self.env)} was never created"
        properties: dict[str, Any] = job["properties"]
        return properties

    def resources(self) -> dict[str, Any]:
        """Everything deployed except the deployment records themselves."""
        return {k: v for k, v in self.azure.resources.items() if "microsoft.resources/deployments" not in k}

    def change_query(self, new_query: str) -> None:
        path = next(self.build.rglob("stream-job.json"))
        template = json.loads(path.read_text(encoding="utf-8"))
        job = next(r for r in template["resources"] if r["type"] == "Microsoft.StreamAnalytics/streamingjobs")
        job["properties"]["transformation"]["properties"]["query"] = new_query
        path.write_text(json.dumps(template), encoding="utf-8")


def same_changes(journal: list[str], plan: Plan) -> bool:
    """Whether the change requests received are exactly the plan's, in order (an inline component's
    version is azure-ai-ml's hash of it, `<content hash>` in the plan)."""
    received = [
        entry.lower().split(ANONYMOUS_COMPONENT)[0] + ANONYMOUS_COMPONENT + "<content hash>"
        if ANONYMOUS_COMPONENT in entry.lower()
        else entry.lower()
        for entry in journal
    ]
    return received == changes_of(plan)


def changes_of(plan: Plan) -> list[str]:
    """The change requests each plan step stands for (reads, like a check or a gate, change nothing)."""
    expected = []
    for step in plan.steps:
        if step.kind == "arm-deployment" or (step.kind == "resource-group" and step.request):
            expected.append(f"PUT {step.target}")
        elif step.name in REAL_ML_STEPS:
            expected.extend(step.request["changes"])
        elif step.name == "train":  # stood in up to the registered model, then the real promotion
            expected.extend(["ML train", *step.request["changes"]])
        elif step.kind in ("asa-stop", "asa-start"):
            expected.append(f"POST {step.target}/{step.kind.removeprefix('asa-')}")
        elif step.kind == "key-vault-secret":
            expected.append(f"PUT {step.target}")
        elif (
            step.kind == APPROVAL_KIND
        ):  # the connection names the simulator gives (managed_private_endpoints)
            cluster = step.request["cluster"]
            expected.extend(
                f"PUT {e['target']}/privateEndpointConnections/{connection_name(cluster, e['name'])}"
                for e in step.request["endpoints"]
            )
    return [entry.lower() for entry in expected]
