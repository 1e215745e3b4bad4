"""The Azure ML managed online endpoint as a rollout target, with azure-ai-ml.

Entities come from the rendered YAML (`build/<env>/ml/azureml/endpoint.yml`, `deployment.yml`); the
rollout only names the deployment (blue/green), pins the model to the manifest's registry version,
stages the code folder next to the YAML and adds settings that are known at deploy time only (the
Application Insights connection string, from `APPLICATIONINSIGHTS_CONNECTION_STRING`, never rendered).
The deployments sign their telemetry in as the endpoint's system-assigned identity (Application Insights
refuses its key: `ml/serving/endpoint_identity.py` grants the role before the first deployment).
`build_endpoint` and `build_deployment` are pure, so tests validate them offline.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.ai.ml import load_environment, load_online_deployment, load_online_endpoint
from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from environments.deploy.azure_clients import deployed_setting, session_clients, session_root
from environments.deploy.role_propagation import deploy_principal, while_role_propagates
from environments.endpoint_deployments import (
    DEFINITION_TAG,
    MODEL_VERSION_TAG,
    deployment_definition,
    serving_deployment,
)
from environments.local_secrets import KEY_VARIABLE
from environments.model import Environment, Rollout
from environments.naming import resource_names
from environments.render import build_dir
from environments.telemetry_variables import (
    AUTHENTICATION_STRING_VAR,
    CONNECTION_STRING_VAR,
    entra_authentication,
)
from ml.registry.registry_access import REGISTRY_USER_ROLE_NAME
from ml.registry.registry_writes import ensure_version
from ml.scoring.settings import MODEL_NAME_VAR, MODEL_VERSION_VAR, ScoringSettings
from ml.serving.azure_metrics import AzureMetrics, arm_pipeline
from ml.serving.code_folder import stage_code
from ml.serving.endpoint_identity import grant_telemetry_publisher, telemetry_role_deployment
from ml.serving.errors import RolloutError
from ml.serving.manifests import ENDPOINT_MANIFEST, EndpointManifest, ModelRef, write_endpoint_manifest
from ml.serving.rollout_policy import WindowStats, plan_steps
from ml.serving.traffic_history import Record, TelemetryTrafficLog, TrafficLog, live_of, traffic_steps

KEY_ENV = KEY_VARIABLE
"""Where streaming deploy expects the key when it does not read it from Azure ML itself (the name
`environments.local_secrets` owns)."""
AZUREML_FOLDER = "azureml"
CODE_FOLDER = "score-code"


def build_endpoint(rendered: Path) -> ManagedOnlineEndpoint:
    """The endpoint entity from the rendered `endpoint.yml` (traffic is left to the rollout)."""
    endpoint = load_online_endpoint(rendered / "endpoint.yml")
    if not isinstance(endpoint, ManagedOnlineEndpoint):
        raise RolloutError(
            f"{rendered / 'endpoint.yml'}: not a managed online endpoint ({type(endpoint).__name__})"
        )
    return endpoint


def build_deployment(
    rendered: Path, name: str, model: ModelRef, connection_string: str | None
) -> ManagedOnlineDeployment:
    """Deployment `name` of the rendered `deployment.yml`, serving exactly `model`'s registry version and
    sending its inference log to Application Insights, signed in through Entra ID as the endpoint's
    system-assigned identity (the component has local auth disabled). Without a connection string its
    telemetry would be off (Azure ML injects only its own legacy key) and the cloud loop would get no
    data: that fails the rollout before the deployment takes traffic, as a failed smoke test does."""
    if not connection_string:
        raise RolloutError(
            f"deployment {name}: telemetry off: {CONNECTION_STRING_VAR} is not set (the deploy reads it from "
            "the environment's Application Insights resource); refusing a deployment that logs nothing"
        )
    deployment = load_online_deployment(rendered / "deployment.yml", params_override=[{"name": name}])
    if not isinstance(deployment, ManagedOnlineDeployment):
        raise RolloutError(
            f"{rendered / 'deployment.yml'}: not a managed deployment ({type(deployment).__name__})"
        )
    deployment.model = model.uri
    definition = deployment_definition((rendered / "deployment.yml").read_text(encoding="utf-8"))
    deployment.tags = {
        **(deployment.tags or {}),
        DEFINITION_TAG: definition,
        MODEL_VERSION_TAG: model.version,
    }
    variables = dict(deployment.environment_variables or {})
    variables.update(ScoringSettings(model.name, model.version, name).environment_variables())
    variables[CONNECTION_STRING_VAR] = connection_string
    variables[AUTHENTICATION_STRING_VAR] = entra_authentication()  # system-assigned: no client id
    deployment.environment_variables = variables
    return deployment


def step_traffic(
    endpoint: ManagedOnlineEndpoint, traffic: dict[str, int], mirror: dict[str, int]
) -> ManagedOnlineEndpoint:
    """Set one rollout step on the endpoint entity: live shares (others 0%) and mirrored shares."""
    endpoint.traffic = {name: traffic.get(name, 0) for name in {*(endpoint.traffic or {}), *traffic}}
    endpoint.mirror_traffic = {name: share for name, share in mirror.items() if share}
    return endpoint


def rollout_plan(rendered: Path, settings: Rollout, old: str, new: str) -> list[dict[str, Any]]:
    """Each progressive step as the endpoint's `traffic` and `mirror_traffic`, loaded and serialised by
    azure-ai-ml from the rendered `endpoint.yml` (what `set_traffic` sends, step by step)."""
    plan = []
    for step in plan_steps(settings, old, new):
        endpoint = load_online_endpoint(
            rendered / "endpoint.yml",
            params_override=[{"traffic": step.traffic}, {"mirror_traffic": step.mirror}],
        )  # azure-ai-ml's endpoint schema validates both maps (types, traffic summing to at most 100)
        rest = endpoint._to_rest_online_endpoint(endpoint.location or "westeurope")
        plan.append(
            {
                "step": step.name,
                "traffic": dict(rest.properties.traffic or {}),
                "mirror_traffic": dict(rest.properties.mirror_traffic or {}),
                "bake_s": settings.step_bake_s,
                "compare_latency": step.compare_latency,
            }
        )
    return plan


@dataclass
class AzureEndpoint:
    """DeploymentTarget over an Azure ML workspace's managed online endpoint."""

    env: Environment
    client: Any  # azure.ai.ml.MLClient on the workspace
    registry: Any  # azure.ai.ml.MLClient on the Azure ML registry (models and environments)
    rendered: Path
    deployments: Any  # azure-mgmt-resource's ARM deployments of the environment's subscription
    metrics: AzureMetrics  # the endpoint's Azure Monitor metrics, per deployment
    traffic_log: TrafficLog = field(default_factory=TelemetryTrafficLog)
    """Where each change of the deployments taking live traffic is recorded (the inference log)."""
    sleep: Callable[[float], None] = time.sleep  # between retries (the session's transport in tests)

    @classmethod
    def connect(cls, env: Environment) -> AzureEndpoint:
        """Render the environment and connect with apply's clients (`azure_session`), else
        `azure_credential()`."""
        from environments.deploy.azure_apply import resolve
        from environments.render import render_environment

        if env.azure is None:
            raise RolloutError(f"environment {env.name} has no azure section")
        build = build_dir(env.name, session_root())
        render_environment(env.name, out=build)
        azure = env.azure
        clients = session_clients(lambda: resolve(azure.subscription_id))
        names = resource_names(env)
        subscription = clients.subscription_id
        endpoint_id = (
            f"/subscriptions/{subscription}/resourceGroups/{azure.resource_group}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{names.workspace}/onlineEndpoints/{names.endpoint}"
        )
        return cls(
            env,
            clients.ml(azure.resource_group, names.workspace),
            clients.ml_registry(names.registry),
            build / "ml" / AZUREML_FOLDER,
            deployments=clients.deployments(),
            metrics=AzureMetrics(arm_pipeline(clients.credential, clients.transport), endpoint_id),
            # Traffic events sign in as the deploy (Application Insights refuses its key): decision 0014.
            # Clients on an injected transport (the simulated control plane) have no ingestion endpoint
            # to send to: the history is then off, and says so.
            traffic_log=TelemetryTrafficLog(
                connection_string=deployed_setting(CONNECTION_STRING_VAR)
                if clients.transport is None
                else None,
                credential=clients.credential,
            ),
            sleep=clients.sleep,
        )

    @property
    def name(self) -> str:
        return resource_names(self.env).endpoint

    def _endpoint(self) -> ManagedOnlineEndpoint | None:
        try:
            return self.client.online_endpoints.get(self.name)
        except ResourceNotFoundError:
            return None

    def serving(self) -> str | None:
        endpoint = self._endpoint()
        return serving_deployment(endpoint.traffic if endpoint else None)

    def serves(self, model: ModelRef) -> str | None:
        """The deployment serving now if it was created from this definition and serves `model`'s
        version (a rollout would change nothing), else None."""
        name = self.serving()
        if name is None:
            return None
        deployment = self.client.online_deployments.get(name=name, endpoint_name=self.name)
        definition = deployment_definition((self.rendered / "deployment.yml").read_text(encoding="utf-8"))
        tags = deployment.tags or {}
        same = tags.get(DEFINITION_TAG) == definition and tags.get(MODEL_VERSION_TAG) == model.version
        return name if same else None

    def create(self, name: str, model: ModelRef) -> None:
        try:
            if self._endpoint() is None:
                self.client.online_endpoints.begin_create_or_update(build_endpoint(self.rendered)).result()
            # Every time (idempotent): an endpoint created before the grant existed gets it too.
            grant_telemetry_publisher(self.deployments, telemetry_role_deployment(self.env))
            self._ensure_environment()
            stage_code(self.rendered / CODE_FOLDER)
            deployment = build_deployment(self.rendered, name, model, deployed_setting(CONNECTION_STRING_VAR))
            self.client.online_deployments.begin_create_or_update(deployment).result()
        except HttpResponseError as exc:
            raise RolloutError(
                f"endpoint {self.name}: creating deployment {name} failed: {exc.message}"
            ) from exc

    def _ensure_environment(self) -> None:
        """Share the pinned inference environment to the registry once per version (staging and prod reuse
        it), waiting out a freshly granted registry role (docs/identities.md)."""
        environment = load_environment(self.rendered / "environment-score.yml")
        while_role_propagates(
            lambda: ensure_version(self.registry.environments, environment),
            principal=deploy_principal(),
            role=REGISTRY_USER_ROLE_NAME,
            scope=f"registry {resource_names(self.env).registry}",
            sleep=self.sleep,
        )

    def invoke(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        with tempfile.TemporaryDirectory() as folder:
            request = Path(folder) / "smoke.json"
            request.write_text(json.dumps(body), encoding="utf-8")
            try:
                answer = self.client.online_endpoints.invoke(
                    endpoint_name=self.name, deployment_name=name, request_file=str(request)
                )
            except HttpResponseError as exc:
                return int(exc.status_code or 500), exc.message
        try:
            return 200, json.loads(answer)
        except ValueError:
            return 200, answer

    def shift(self, name: str) -> None:
        self.set_traffic({name: 100}, {})

    def record_traffic(self) -> None:
        """The endpoint's live and mirrored deployments now, recorded (`ProgressiveTarget.record_traffic`)."""
        endpoint = self._endpoint()
        traffic = (endpoint.traffic if endpoint else None) or {}
        mirror = (endpoint.mirror_traffic if endpoint else None) or {}
        self.traffic_log.record(live_of(traffic), live_of(mirror))

    def set_traffic(self, traffic: dict[str, int], mirror: dict[str, int]) -> None:
        """The endpoint's `traffic` and `mirror_traffic` for one step (every other deployment at 0%), each
        change of the live set recorded (`traffic_history`). Azure says nothing of mirrored copies in
        flight: after mirroring stops, the endpoint's request timeout bounds how long one can still be
        scored, so that long is waited before the change is recorded."""
        endpoint = self._endpoint()
        now = (endpoint.traffic if endpoint else None) or {}
        mirror_now = (endpoint.mirror_traffic if endpoint else None) or {}
        for step in traffic_steps(now, mirror_now, traffic, mirror):
            if isinstance(step, Record):
                self.traffic_log.record(step.live, step.mirror)
                continue
            self._apply(step.traffic, step.mirror)
            if step.drain:
                self.sleep(self.env.endpoint.request.request_timeout_ms / 1000.0)

    def _apply(self, traffic: dict[str, int], mirror: dict[str, int]) -> None:
        endpoint = self._endpoint()
        if endpoint is None:
            raise RolloutError(f"endpoint {self.name} does not exist")
        step_traffic(endpoint, traffic, mirror)
        try:
            endpoint = self.client.online_endpoints.begin_create_or_update(endpoint).result()
        except HttpResponseError as exc:
            raise RolloutError(
                f"endpoint {self.name}: setting traffic {traffic}, mirror {mirror} failed: {exc.message}"
            ) from exc
        name = max((share, deployment) for deployment, share in traffic.items())[1]
        deployment = self.client.online_deployments.get(name=name, endpoint_name=self.name)
        variables = deployment.environment_variables or {}
        manifest = EndpointManifest(
            environment=self.env.name,
            scoring_uri=str(endpoint.scoring_uri),
            swagger_uri=str(endpoint.openapi_uri),
            deployment=name,
            model_name=variables.get(MODEL_NAME_VAR, ""),
            model_version=variables.get(MODEL_VERSION_VAR, ""),
            key_env=KEY_ENV,
            healthy=endpoint.provisioning_state == "Succeeded",
        )
        write_endpoint_manifest(self.rendered.parent / ENDPOINT_MANIFEST, manifest)

    def deployment_names(self) -> list[str]:
        return sorted(d.name for d in self.client.online_deployments.list(endpoint_name=self.name))

    def traffic(self) -> dict[str, int]:
        endpoint = self._endpoint()
        return dict((endpoint.traffic if endpoint else None) or {})

    def window(self, since: float) -> dict[str, WindowStats]:
        """Each deployment's requests, 5xx and p99 since `since`, from Azure Monitor (`azure_metrics.py`)."""
        return self.metrics.window(since)

    def delete(self, name: str) -> None:
        try:
            self.client.online_deployments.begin_delete(name=name, endpoint_name=self.name).result()
        except ResourceNotFoundError:
            return
        except HttpResponseError as exc:
            raise RolloutError(
                f"endpoint {self.name}: removing deployment {name} failed: {exc.message}"
            ) from exc
