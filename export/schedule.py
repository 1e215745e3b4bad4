"""The Azure ML schedule of the inference export (decision 0016), built from the rendered job (pure: no
connection).

The pipeline job (`build/<env>/export/azureml/pipelines/export.yml`, one command step, the shape of the drift
schedule: Azure ML schedules a pipeline job, https://learn.microsoft.com/azure/machine-learning/how-to-schedule-pipeline-job;
azure-ai-ml 1.35 refuses a scheduled command job outside its private preview) runs
`python -m export run <env> --last-hours N` on the export compute cluster, inside the workspace's managed
network in a `network: private` environment, as the cluster's identity (the export identity,
`identity: managed`). `DefaultAzureCredential` picks that
user-assigned identity by its client id in `AZURE_CLIENT_ID`
(https://learn.microsoft.com/python/api/overview/azure/identity-readme, environment variables of a
user-assigned managed identity), and the environment file's `azure.subscription_id` reference
(`env:AZURE_SUBSCRIPTION_ID`) gets its value, both set here at deploy time: neither is a secret, and the
rendered file holds neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from environments.deploy.deployed_settings import EXPORT_CLIENT_ID_VAR as CLIENT_ID_SETTING
from environments.model import Environment
from environments.naming import resource_names
from export.errors import ExportConfigError

JOB_CLIENT_ID_VAR = "AZURE_CLIENT_ID"


def schedule_name(env: Environment) -> str:
    return f"{resource_names(env).base}-export"


def job_path(build: Path) -> Path:
    return build / "export" / "azureml" / "pipelines" / "export.yml"


def environment_path(build: Path) -> Path:
    return build / "export" / "azureml" / "environment-export.yml"


def job_variables(env: Environment, subscription_id: str, client_id: str | None) -> dict[str, str]:
    """The variables the scheduled job runs with: the identity it signs in as, the subscription."""
    if not client_id:
        raise ExportConfigError(
            f"{CLIENT_ID_SETTING} is not set: the export job signs in as the export identity "
            f"({resource_names(env).export_identity}; the deploy reads its client id from the identity)"
        )
    variables = {JOB_CLIENT_ID_VAR: client_id}
    assert env.azure is not None
    reference = env.azure.subscription_id
    if reference.startswith("env:"):
        variables[reference.removeprefix("env:")] = subscription_id
    return variables


def export_schedule(env: Environment, build: Path, subscription_id: str, client_id: str | None) -> Any:
    """The `JobSchedule` of the rendered export pipeline: every `monitoring.export_interval_minutes`."""
    from azure.ai.ml import load_job
    from azure.ai.ml.entities import JobSchedule, ManagedIdentityConfiguration, PipelineJob, RecurrenceTrigger

    path = job_path(build)
    if not path.is_file():
        raise ExportConfigError(f"{path}: not rendered; run `python -m environments render {env.name}`")
    job = load_job(path)
    if not isinstance(job, PipelineJob):
        raise ExportConfigError(f"{path}: not a pipeline job ({type(job).__name__})")
    step = job.jobs["export"]
    step.environment_variables = job_variables(env, subscription_id, client_id)
    step.identity = ManagedIdentityConfiguration()  # the cluster's: the export identity
    trigger = RecurrenceTrigger(frequency="minute", interval=env.monitoring.export_interval_minutes)
    return JobSchedule(name=schedule_name(env), trigger=trigger, create_job=job)
