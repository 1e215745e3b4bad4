"""Deploying an environment into a simulated subscription, as `nox -s deploy-<env>` does: shared by the
deploy scenario and release rollback tests.

The real SDK clients run unchanged on the simulator's transport. The endpoint rollout
(`python -m ml rollout <env>`) runs for real in apply's process, its smoke test answered by score.py's
scoring of a tiny model; training, promotion and the drift schedule are stood in by `MLSteps` (they need
Azure ML jobs and blob uploads, which the simulator does not have): it journals them (with the model
version a promotion asks for) and leaves what they leave (the model manifest).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from environments.azure_sim.blob_routing import route_blobs_to
from environments.azure_sim.control_plane import Scorer, SimulatedAzure
from environments.azure_sim.transport import SimulatedTransport, StaticCredential
from environments.deploy.azure_apply import apply_plan, run_ml_command
from environments.deploy.azure_clients import AzureClients
from environments.deploy.azure_state import read_azure_state
from environments.deploy.ml_operations import registry_owner, rollout_registry_assets
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


REAL_ML_STEPS = ("endpoint-rollout",)
"""The Azure ML steps run for real (azure-ai-ml's MLClient on the simulator's transport)."""


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
    `nox -s deploy-<env>` does: read the state, build the plan, apply it. `scorer` answers the online
    endpoint's data plane (`ml.testing.deployment_scorer`: score.py's scoring of a model folder)."""

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
        self.azure.serve(resource_names(self.env).endpoint, scorer)
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
        elif step.kind == "key-vault-secret":
            expected.append(f"PUT {step.target}")
    return [entry.lower() for entry in expected]
