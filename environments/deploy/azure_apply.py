"""Apply a plan to Azure: a thin layer over azure-mgmt-resource, the ML and monitoring domains' command
lines and azure-mgmt-streamanalytics, authenticated with `azure_credential()` (in the workflows a GitHub
OIDC sign-in that renews itself, so a long wait outlives the first token).

Each plan step is one operation here, in the plan's order; nothing else is changed. The SDK clients come
from an `AzureClients` (tests give it the simulated control plane's transport); an Azure ML step's
command (`python -m ml rollout <env>`) runs in this process inside an `azure_session` of the same clients,
so it reaches Azure (or the simulator) exactly as the other steps do."""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

from environments.deploy.azure_clients import AzureClients, azure_session
from environments.deploy.cluster_approvals import APPROVAL_KIND, approve_cluster_endpoints
from environments.deploy.deployed_settings import resolve as resolve_settings
from environments.deploy.endpoint_key import KEY_PARAMETER, KeyPlaces, key_vault_parameter, store_endpoint_key
from environments.deploy.plan import Plan, Step
from environments.deploy.release import (
    RELEASE_CREATOR,
    new_release,
    with_deployment,
    write_release,
)
from environments.deploy.vault_parameters import declared_secret, vault_parameter
from environments.errors import EnvironmentsError
from environments.model import Environment
from environments.naming import resource_names
from environments.render import REPO_ROOT


class ApplyError(EnvironmentsError):
    """A deployment step failed; names the step and the cause."""


def resolve(value: str) -> str:
    """Resolve an `env:NAME` reference from the environment, failing with the variable's name."""
    if not value.startswith("env:"):
        return value
    name = value.removeprefix("env:")
    resolved = os.environ.get(name)
    if not resolved:
        raise ApplyError(f"environment variable {name} is not set (needed for the Azure deployment)")
    return resolved


def default_clients(env: Environment) -> AzureClients:
    """The clients of a real deployment: `azure_credential()` on the environment's subscription."""
    from environments.azure_credential import azure_credential

    assert env.azure is not None
    return AzureClients(resolve(env.azure.subscription_id), azure_credential())


def _ml_client(env: Environment, clients: AzureClients) -> Any:
    assert env.azure is not None
    return clients.ml(env.azure.resource_group, resource_names(env).workspace)


def secure_value(
    env: Environment, step: Step, parameter: str, clients: AzureClients
) -> str | dict[str, Any] | None:
    """Secure template parameters are never in files: they are read at apply time.

    The Stream Analytics function key is a Key Vault reference that ARM resolves (`endpoint_key.py`), and
    so is a parameter whose metadata names a Key Vault secret (`vault_parameters.py`; None: the secret does
    not exist yet and the parameter may be empty until it does); any other `<name>` comes from the variable
    `STREAMSCORE_SECURE_<NAME>` (set by the workflow from Key Vault)."""
    if parameter == KEY_PARAMETER:
        return key_vault_parameter(KeyPlaces.of(env), clients.subscription_id)
    template = step.request["properties"]["template"]
    secret = declared_secret(template, parameter)
    if secret is not None:
        return vault_parameter(env, template, parameter, secret, clients)
    variable = "STREAMSCORE_SECURE_" + "".join(c if c.isalnum() else "_" for c in parameter).upper()
    value = os.environ.get(variable)
    if not value:
        raise ApplyError(f"step {step.name}: secure parameter {parameter} needs ${variable}")
    return value


def deployment_body(step: Step, secure_values: dict[str, str | dict[str, Any]]) -> dict[str, Any]:
    """The ARM deployment request of a step, with its secure parameters filled in (never printed): a value,
    or a parameter object such as a Key Vault reference; `env:NAME` parameter values read from the environment."""
    missing = sorted(set(step.secure_parameters) - set(secure_values))
    if missing:
        raise ApplyError(f"step {step.name}: no value for secure parameters {', '.join(missing)}")
    body: dict[str, Any] = json.loads(json.dumps(step.request))
    for spec in body["properties"]["parameters"].values():
        if isinstance(spec.get("value"), str) and spec["value"].startswith("env:"):
            spec["value"] = resolve(spec["value"])  # e.g. GITHUB_REPOSITORY: known only where apply runs
    for parameter in step.secure_parameters:
        given = secure_values[parameter]
        body["properties"]["parameters"][parameter] = given if isinstance(given, dict) else {"value": given}
    return body


def run_deployment(deployments: Any, resource_group: str, step: Step, body: dict[str, Any]) -> None:
    """Create or update one ARM deployment through `deployments` (the SDK's operations group) and wait."""
    result = deployments.begin_create_or_update(resource_group, step.name, body).result()
    state = getattr(result.properties, "provisioning_state", None)
    if state != "Succeeded":
        raise ApplyError(f"step {step.name}: ARM deployment ended {state}")


def _resource_group(env: Environment, step: Step, clients: AzureClients) -> None:
    assert env.azure is not None
    group = env.azure.resource_group
    if step.request:
        clients.resource_groups().create_or_update(group, step.request)
    elif not clients.resource_groups().check_existence(group):
        raise ApplyError(f"step {step.name}: resource group {group} does not exist (it did when planned)")


def _arm(env: Environment, step: Step, clients: AzureClients, report: Callable[[str], Any] = print) -> None:
    assert env.azure is not None
    secure: dict[str, str | dict[str, Any]] = {}
    template = step.request["properties"]["template"]
    for parameter in step.secure_parameters:
        value = secure_value(env, step, parameter, clients)
        if value is None:
            why = template["parameters"][parameter].get("metadata", {}).get("description", "")
            report(
                f"  {step.name}: Key Vault secret {declared_secret(template, parameter)} does not exist yet, "
                f"so {parameter} is empty ({why}); store it and deploy again (docs/identities.md)"
            )
            value = ""
        secure[parameter] = value
    run_deployment(clients.deployments(), env.azure.resource_group, step, deployment_body(step, secure))


class _Tee(io.StringIO):
    """Keeps what a command writes to stderr (for the error) while passing it through."""

    def __init__(self, through: Any) -> None:
        super().__init__()
        self.through = through

    def write(self, text: str) -> int:
        self.through.write(text)
        return super().write(text)


def run_ml_command(step: Step, settings: dict[str, str]) -> None:
    """Run an Azure ML step's command line (`python -m <domain> <command> <env> ...`) in this process:
    the domain's `main(argv)`, inside the `azure_session` apply opened for the step (its clients and
    `settings`). A non-zero exit fails the step with the command's last `error:` line."""
    command = step.request["command"]
    domain, argv = command[2], command[3:]
    errors = _Tee(sys.stderr)
    with redirect_stderr(errors):
        code = int(importlib.import_module(f"{domain}.__main__").main(argv) or 0)
    if code != 0:
        said = [line for line in errors.getvalue().splitlines() if line.startswith("error:")]
        raise ApplyError(
            f"step {step.name}: {' '.join(command)} exited {code}" + (f": {said[-1]}" if said else "")
        )


def step_settings(step: Step, clients: AzureClients) -> dict[str, str]:
    """The values of the step's `settings` references, read from the deployed resources (never printed)."""
    references = step.request.get("settings") or {}
    if not references:
        return {}
    resources = clients.resources()

    def read_properties(resource: str, api_version: str) -> dict[str, Any]:
        found = resources.get_by_id(
            f"/subscriptions/{clients.subscription_id}/{resource}", api_version=api_version
        )
        return dict(found.properties or {})

    return resolve_settings(references, read_properties)


def _endpoint_state(env: Environment, clients: AzureClients) -> dict[str, Any]:
    """The endpoint's health as Azure reports it, for a gate that runs on another machine than the rollout."""
    endpoint = _ml_client(env, clients).online_endpoints.get(resource_names(env).endpoint)
    traffic = sum((endpoint.traffic or {}).values())
    healthy = endpoint.provisioning_state == "Succeeded" and traffic == 100
    return {
        "healthy": healthy,
        "provisioning_state": endpoint.provisioning_state,
        "traffic": endpoint.traffic,
    }


def _gate(env: Environment, step: Step, root: Path, clients: AzureClients | None = None) -> None:
    manifest = root / step.request["manifest"]
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        where = str(manifest)
    else:
        data = _endpoint_state(env, clients or default_clients(env))
        where = "Azure ML"
    for key, expected in step.request["require"].items():
        if data.get(key) != expected:
            raise ApplyError(
                f"step {step.name}: refusing to deploy Stream Analytics against an endpoint that is not "
                f"healthy ({key}={data.get(key)!r} according to {where}: {data})"
            )


def git_commit(root: Path = REPO_ROOT) -> str:
    """The commit being deployed: `GITHUB_SHA` in a workflow, else HEAD of the checkout that rendered."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    completed = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise ApplyError(f"cannot name the deployed commit: git rev-parse HEAD in {root}: {completed.stderr}")
    return completed.stdout.strip()


def _release(env: Environment, step: Step, root: Path) -> None:
    """Record this environment's smoke-tested deployment in the release manifest (dev: a new release
    from what it rendered and the model version it now serves)."""
    manifest_path = root / step.request["model_manifest"]
    try:
        served = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ApplyError(f"step {step.name}: no model manifest at {manifest_path} ({exc})") from exc
    model = {
        "name": served["model_name"],
        "version": served["version"],
        "uri": served["model_uri"],
        "metrics": served.get("metrics") or {},
    }
    release = step.request["release"]
    if release is not None and release.get("preview"):
        raise ApplyError(f"step {step.name}: a preview release is for --plan-only --offline, not for apply")
    if release is None:
        if env.name != RELEASE_CREATOR:
            raise ApplyError(f"step {step.name}: {env.name} deploys a release, it does not create one")
        release = new_release(step.request["assets"], model, git_commit())
    elif str(release["model"]["version"]) != str(model["version"]):
        raise ApplyError(
            f"step {step.name}: {env.name} serves {model['name']} version {model['version']}, "
            f"the release names version {release['model']['version']}"
        )
    write_release(root / step.target, with_deployment(release, env.name))


def _stream_job(env: Environment, step: Step, clients: AzureClients) -> None:
    from azure.mgmt.streamanalytics.models import StartStreamingJobParameters

    assert env.azure is not None
    jobs, group, name = clients.streaming_jobs(), env.azure.resource_group, resource_names(env).stream_job
    if step.kind == "asa-stop":
        jobs.begin_stop(group, name).result()
    else:
        mode = step.request["outputStartMode"]
        jobs.begin_start(group, name, StartStreamingJobParameters(output_start_mode=mode)).result()


def apply_plan(
    env: Environment,
    plan: Plan,
    root: Path,
    clients: AzureClients | None = None,
    run_ml: Callable[[Step, dict[str, str]], None] = run_ml_command,
    report: Callable[[str], Any] = print,
) -> None:
    """Run every step in order; the first failure stops the deployment with the step's name and the
    Azure error. Rerunning after a fix is safe: a new plan is read from what is deployed."""
    if env.azure is None:
        raise ApplyError(f"{env.name} is not an Azure environment")
    clients = clients or default_clients(env)
    for index, step in enumerate(plan.steps, start=1):
        report(f"[{index}/{len(plan.steps)}] {step.kind} {step.name}")
        try:
            if step.kind == "resource-group":
                _resource_group(env, step, clients)
            elif step.kind == "arm-deployment":
                _arm(env, step, clients, report)
            elif step.kind == "azureml":
                settings = step_settings(step, clients)
                with azure_session(clients, settings, root):
                    run_ml(step, settings)
            elif step.kind == "release":
                _release(env, step, root)
            elif step.kind == "gate":
                _gate(env, step, root, clients)
            elif step.kind == APPROVAL_KIND:
                approve_cluster_endpoints(env, step.request, clients, report)
            elif step.kind == "key-vault-secret":
                store_endpoint_key(env, clients)
            elif step.kind in ("asa-stop", "asa-start"):
                _stream_job(env, step, clients)
            else:
                raise ApplyError(f"step {step.name}: unknown kind {step.kind}")
        except ApplyError:
            raise
        except Exception as exc:  # an SDK error: keep its message, name the step
            raise ApplyError(
                f"step {index}/{len(plan.steps)} {step.name}: {type(exc).__name__}: {exc}"
            ) from exc
