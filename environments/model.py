"""The typed model of one environment file (`environments/<name>.yml` merged over `base.yml`)."""

from __future__ import annotations

import ipaddress
import re
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from environments import stream_aliases
from environments.data_schema import DataSchema, load_data_schema
from environments.drift_scenario import DriftScenario

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The repository root: repository-relative paths of an environment (`data.*_file`) start here."""

_SECRET_REF = re.compile(r"^(env:[A-Z_][A-Z0-9_]*|keyvault:[A-Za-z0-9-]{1,127})$")
_ENV_OR_UUID = re.compile(
    r"^(env:[A-Z_][A-Z0-9_]*|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)


def _secret_ref(value: str) -> str:
    if not _SECRET_REF.match(value):
        raise ValueError(
            "secrets never live in environment files: give a reference, "
            "'env:VARIABLE_NAME' or 'keyvault:secret-name'"
        )
    return value


def _env_or_uuid(value: str) -> str:
    if not _ENV_OR_UUID.match(value):
        raise ValueError("expected a GUID or 'env:VARIABLE_NAME'")
    return value


SecretRef = Annotated[str, AfterValidator(_secret_ref)]
"""A reference to a secret: `env:NAME` (an environment variable) or `keyvault:name` (a Key Vault secret)."""

GuidOrEnv = Annotated[str, AfterValidator(_env_or_uuid)]
"""A GUID (subscription, tenant) given literally or as `env:NAME`."""

AzureName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")]


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AzureTarget(Strict):
    """Where an Azure environment deploys."""

    subscription_id: GuidOrEnv
    tenant_id: GuidOrEnv
    resource_group: str = Field(pattern=r"^[-\w._()]{1,90}$")
    client_id: GuidOrEnv = Field(description="Workload-identity app used by the GitHub workflows (OIDC).")
    resource_locks: bool = Field(
        default=False,
        description="CanNotDelete locks on the stateful resources (prod); teardown removes them.",
    )


_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
WORKSTATION_ENVIRONMENT = "dev"
"""The only environment with data scientists' compute instances: staging and prod stay identical."""


class DataScientist(Strict):
    """A data scientist with a personal Azure ML compute instance (an experimentation workstation)."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9]{1,11}$", description="Short handle; part of the instance name."
    )
    object_id: str = Field(
        pattern=_UUID, description="Microsoft Entra object id of the person (not a secret)."
    )


class Workspace(Strict):
    name: AzureName
    compute_cluster: AzureName
    compute_vm_size: str
    compute_max_instances: int = Field(ge=1, le=100)
    instance_vm_size: str
    instance_idle_shutdown_minutes: int = Field(ge=15, le=1440)
    data_scientists: list[DataScientist]

    @model_validator(mode="after")
    def _unique_data_scientists(self) -> Workspace:
        for key in ("name", "object_id"):
            values = [getattr(person, key) for person in self.data_scientists]
            duplicates = sorted({value for value in values if values.count(value) > 1})
            if duplicates:
                raise ValueError(f"data_scientists: {key} listed twice: {', '.join(duplicates)}")
        return self


class Registry(Strict):
    name: AzureName
    """One registry is shared by every environment; staging and prod deploy its versions."""
    location: str


class Model(Strict):
    name: AzureName
    primary_metric: Literal["roc_auc", "average_precision", "log_loss"]
    promotion_margin: float = Field(ge=0, le=1, description="Challenger must beat champion by this much.")
    training_component: str | None = Field(
        default=None,
        description=(
            "Your own training step: an Azure ML command component YAML that replaces the platform's "
            "(docs/own-data.md, Your own training code); paths as for data.schema_file."
        ),
    )

    def training_component_path(self) -> Path | None:
        """The team's training component's absolute path, None for the platform's own."""
        return REPO_ROOT / self.training_component if self.training_component else None


class RequestSettings(Strict):
    request_timeout_ms: int = Field(ge=1000, le=180000)
    max_concurrent_requests_per_instance: int = Field(ge=1, le=1000)
    max_queue_wait_ms: int = Field(ge=0, le=180000)


class Endpoint(Strict):
    name: AzureName
    instance_type: str
    instance_count: int = Field(ge=1, le=100)
    request: RequestSettings
    smoke_batch_size: int = Field(ge=1, le=10000)


class Rollout(Strict):
    """Progressive rollout of a new model version behind the endpoint, with automatic rollback.

    New deployment at 0% -> mirrored traffic (a copy of `mirror_percent`% of live requests, answers
    discarded) -> `shift_percents` of live traffic in turn -> the old deployment kept `old_bake_s`, then
    removed. Every step lasts at least `step_bake_s` and until the new deployment has answered
    `min_requests`; over the same window its error rate and p99 latency are compared with the old
    one's (latency on live traffic only: mirrored copies queue behind live requests; a latency
    regression is both over `max_latency_ratio` and over `latency_tolerance_ms` slower). A regression
    rolls traffic back to the old deployment. Azure ML mirrors at most 50% of traffic.
    """

    mirror_percent: int = Field(ge=1, le=50)
    shift_percents: list[int] = Field(min_length=1, description="Live traffic steps, ending at 100.")
    step_bake_s: int = Field(ge=1, le=86400)
    step_timeout_s: int = Field(ge=1, le=172800, description="A step without enough requests by then fails.")
    old_bake_s: int = Field(ge=0, le=604800)
    min_requests: int = Field(ge=1, le=1_000_000)
    max_error_rate_increase: float = Field(ge=0, le=1, description="New error rate minus the old one's.")
    max_latency_ratio: float = Field(ge=1, description="New p99 latency over the old one's.")
    latency_tolerance_ms: float = Field(
        ge=0, description="A p99 difference below this is noise, whatever the ratio."
    )

    @model_validator(mode="after")
    def _steps(self) -> Rollout:
        steps = self.shift_percents
        if steps[-1] != 100 or any(b <= a for a, b in pairwise(steps)) or steps[0] <= 0:
            raise ValueError(f"shift_percents must rise from above 0 to 100, got {steps}")
        if self.step_timeout_s < self.step_bake_s:
            raise ValueError("step_timeout_s must be at least step_bake_s")
        return self


class ReferenceData(Strict):
    """A blob reference input of the Stream Analytics job ("Use reference data for lookups in Stream
    Analytics", Configure blob reference data): blobs in one container of the environment's storage
    account, found by a path pattern. With `{date}` and/or `{time}` in the pattern the data is refreshed:
    the job picks up the blob whose name encodes a later date/time once its clock reaches that time;
    without them it is static (one blob). Read with the job's managed identity, never a key."""

    alias: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,62}$",
        description="The input's name, as the query JOINs it (`JOIN <alias> r ON ...`)",
    )
    container: AzureName = Field(description="Blob container of the reference data (created by the deploy)")
    path_pattern: str = Field(
        pattern=r"^[^/{}\\][^{}\\]*(\{(date|time)\}[^{}\\]*)*$",
        description="Blob name within the container, with `{date}` and `{time}` tokens for refreshed data",
    )
    date_format: Literal["yyyy/MM/dd", "MM/dd/yyyy", "dd/MM/yyyy", "yyyy-MM-dd"] = "yyyy/MM/dd"
    time_format: Literal["HH", "HH/mm", "HH-mm"] = "HH-mm"
    serialization: Literal["Json", "Csv"] = "Json"
    csv_delimiter: Literal[",", ";", "\t", "|", " "] = ","

    @model_validator(mode="after")
    def _alias_is_free(self) -> ReferenceData:
        taken = {a.casefold() for a in (*stream_aliases.INPUTS, *stream_aliases.OUTPUTS)}
        if self.alias.casefold() in taken:
            raise ValueError(
                f"alias {self.alias!r} is already an input or output of the job (aliases match case-insensitively)"
            )
        return self

    @property
    def refreshed(self) -> bool:
        """True when the path pattern has `{date}`/`{time}` tokens (the documented refresh)."""
        return "{date}" in self.path_pattern or "{time}" in self.path_pattern


class StreamAnalytics(Strict):
    job_name: AzureName
    streaming_units: Literal[
        1, 3, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60, 66, 72, 78, 84, 90, 96, 102, 108, 114, 120
    ]
    cluster_capacity: Literal[36, 72, 108, 144, 180, 216] = Field(
        description=(
            "Streaming units of the environment's dedicated Stream Analytics cluster (network: private), "
            "multiples of 36 (ClusterSku.capacity); the job's streaming_units run inside it"
        )
    )
    compatibility_level: Literal["1.2"]
    function_batch_size: int = Field(ge=1, le=10000)
    function_parallel_requests: int = Field(ge=1, le=100)
    late_arrival_max_delay_s: int = Field(ge=-1, le=1814399)
    out_of_order_max_delay_s: int = Field(ge=0, le=599)
    out_of_order_policy: Literal["Adjust", "Drop"]
    output_error_policy: Literal["Stop", "Drop"]
    aggregate_window_minutes: int = Field(ge=1, le=60)
    aggregate_by: str | None = Field(
        default=None,
        description=(
            "Category feature of the data schema the per-category score aggregate groups by; "
            "without it the query has no aggregate output."
        ),
    )
    reference_data: ReferenceData | None = Field(
        default=None,
        description=(
            "A blob reference input for a reference JOIN in the query; without it the job has no "
            "reference input (the shipped query joins none)."
        ),
    )


class EventHubs(Strict):
    namespace: AzureName
    sku: Literal["Standard", "Premium"]
    capacity: int = Field(ge=1, le=40)
    partitions: int = Field(ge=1, le=32)
    retention_hours: int = Field(ge=1, le=168)
    input_hub: AzureName
    output_hub: AzureName
    consumer_group: AzureName


class Storage(Strict):
    sku: Literal["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS"]
    inference_container: AzureName
    scored_container: AzureName
    deadletter_container: AzureName
    feedback_container: AzureName = Field(
        default="feedback",
        description="Labelled feedback rows (ml/data/feedback.py): what a retrain adds to the training data",
    )
    feedback_writers: list[Annotated[str, Field(pattern=r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")]] = (
        Field(
            default_factory=list,
            description="Object ids of the principals that write labelled feedback (Storage Blob Data Contributor "
            "on the feedback container, without delete; docs/identities.md)",
        )
    )


class DriftThresholds(Strict):
    """Per-metric thresholds; numeric and categorical defaults follow Azure ML model monitoring."""

    normalized_wasserstein_distance: float = Field(gt=0)
    jensen_shannon_distance: float = Field(gt=0)
    population_stability_index: float = Field(gt=0)
    two_sample_kolmogorov_smirnov_test: float = Field(gt=0, lt=1, description="p-value below which drift")
    pearsons_chi_squared_test: float = Field(gt=0, lt=1, description="p-value below which drift")
    data_quality_allowance: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Null/type-error/out-of-bounds rate allowed above the baseline's",
    )


class Alert(Strict):
    evaluation_frequency_minutes: Literal[1, 5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440]
    window_minutes: Literal[5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880]
    severity: int = Field(ge=0, le=4)
    numeric_metric: Literal[
        "normalized_wasserstein_distance",
        "jensen_shannon_distance",
        "population_stability_index",
        "two_sample_kolmogorov_smirnov_test",
    ]
    categorical_metric: Literal[
        "jensen_shannon_distance", "population_stability_index", "pearsons_chi_squared_test"
    ]


class Monitoring(Strict):
    drift: DriftThresholds
    alert: Alert
    log_sampling_ratio: float = Field(
        gt=0,
        le=1,
        description=(
            "fraction of scored rows in the inference log, kept by request id (deterministic); the "
            "Application Insights resource's ingestion sampling stays off (100) so nothing else drops rows"
        ),
    )
    export_interval_minutes: int = Field(ge=5, le=1440)
    drift_window_hours: int = Field(ge=1, le=720)
    log_retention_days: int = Field(ge=30, le=730)


class Data(Strict):
    """The data contract and where training data comes from."""

    schema_file: str = Field(
        description=(
            "Schema file (docs/own-data.md). In a YAML file: absolute, or relative to that file's folder; "
            "the loader resolves it (repository-relative inside the repository, else absolute)."
        )
    )
    training_rows: int = Field(ge=1000, le=10_000_000, description="Rows generated when no file is given.")
    training_file: str | None = Field(
        default=None,
        description="A user's CSV/Parquet file instead of generated data; paths as for schema_file.",
    )
    replay_fraction: float = Field(
        default=0.3,
        ge=0.05,
        le=0.9,
        description=(
            "With a training_file: the share of its rows held out of training (chosen by a hash of the "
            "row id and seed, so the same rows every time) for the local loop to replay as traffic."
        ),
    )
    seed: int

    def schema_path(self) -> Path:
        """The schema file's absolute path."""
        return REPO_ROOT / self.schema_file

    def training_path(self) -> Path | None:
        """The user's training file's absolute path, None when the data is generated."""
        return REPO_ROOT / self.training_file if self.training_file else None


class GitHub(Strict):
    repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    dispatch_token: SecretRef


class Loop(Strict):
    """What the local loop sends in its drift phase (docs/own-data.md, environments.drift_scenario)."""

    drift_scenario: DriftScenario


GITHUB_HOSTED_RUNNER = re.compile(r"^(ubuntu|windows|macos)-")


def _network(value: str, key: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{key}: {value!r} is not an IPv4 network in CIDR form ({exc})") from exc


class VirtualNetwork(Strict):
    """The environment's virtual network (network: private): private endpoints in one subnet, the
    self-hosted runners (and anything else that deploys or tests from inside) in the other."""

    address_space: str = Field(description="CIDR of the virtual network, e.g. 10.60.0.0/22.")
    private_endpoint_subnet: str = Field(description="CIDR inside address_space for the private endpoints.")
    runner_subnet: str = Field(description="CIDR inside address_space for the self-hosted runners.")

    @model_validator(mode="after")
    def _subnets_inside(self) -> VirtualNetwork:
        space = _network(self.address_space, "address_space")
        endpoints = _network(self.private_endpoint_subnet, "private_endpoint_subnet")
        runners = _network(self.runner_subnet, "runner_subnet")
        for key, subnet in (("private_endpoint_subnet", endpoints), ("runner_subnet", runners)):
            if not subnet.subnet_of(space):
                raise ValueError(f"{key}: {subnet} is not inside address_space {space}")
            if subnet.prefixlen > 28:
                raise ValueError(f"{key}: {subnet} is smaller than /28 (Azure reserves 5 addresses)")
        if endpoints.overlaps(runners):
            raise ValueError(f"private_endpoint_subnet {endpoints} overlaps runner_subnet {runners}")
        return self


class Local(Strict):
    """Loopback ports and state folder of the local stand-ins (target: local only)."""

    state_dir: str
    broker_port: int = Field(ge=1024, le=65535)
    azurite_blob_port: int = Field(ge=1024, le=65535)
    collector_port: int = Field(ge=1024, le=65535)
    endpoint_port: int = Field(ge=1024, le=65535)


class Environment(Strict):
    """One environment: `local` (loopback stand-ins) or an Azure target (`dev`, `staging`, `prod`)."""

    name: AzureName
    target: Literal["local", "azure"]
    prefix: str = Field(pattern=r"^[a-z][a-z0-9]{1,9}$", description="Short name prefix for resources.")
    location: str
    tags: dict[str, str]
    data: Data
    azure: AzureTarget | None = None
    local: Local | None = None
    loop: Loop | None = None
    workspace: Workspace
    registry: Registry
    model: Model
    endpoint: Endpoint
    rollout: Rollout
    stream_analytics: StreamAnalytics
    event_hubs: EventHubs
    storage: Storage
    monitoring: Monitoring
    github: GitHub
    network: Literal["private", "public"] = Field(
        description=(
            "private (dev, staging, prod): storage, Key Vault, Event Hubs, container registry and workspace "
            "closed to the internet, reached through private endpoints in virtual_network; public: a trial "
            "environment only, every resource reachable from the internet (authenticated)"
        )
    )
    virtual_network: VirtualNetwork
    runner: list[str] = Field(
        min_length=1,
        description=(
            "GitHub Actions `runs-on` labels of the jobs that deploy this environment; a private environment "
            "needs a self-hosted runner inside virtual_network (docs/runners.md)"
        ),
    )

    @model_validator(mode="after")
    def _target_section(self) -> Environment:
        if self.target == "azure" and self.azure is None:
            raise ValueError("target 'azure' needs an 'azure' section (subscription, tenant, resource group)")
        if self.target == "local" and self.local is None:
            raise ValueError("target 'local' needs a 'local' section (ports, state folder)")
        if self.target == "local" and self.azure is not None:
            raise ValueError("target 'local' must not have an 'azure' section")
        if self.workspace.data_scientists and self.name != WORKSTATION_ENVIRONMENT:
            raise ValueError(
                f"workspace.data_scientists: compute instances are for {WORKSTATION_ENVIRONMENT!r} only "
                f"({self.name!r} lists {len(self.workspace.data_scientists)}); staging and prod stay identical"
            )
        stream = self.stream_analytics
        if self.network == "private" and stream.streaming_units > stream.cluster_capacity:
            raise ValueError(
                f"stream_analytics.streaming_units: {stream.streaming_units} do not fit the cluster's "
                f"cluster_capacity {stream.cluster_capacity}"
            )
        hosted = [label for label in self.runner if GITHUB_HOSTED_RUNNER.match(label)]
        if self.target == "azure" and self.network == "private" and hosted:
            raise ValueError(
                f"runner: {', '.join(hosted)} is a GitHub-hosted runner, outside the virtual network of a "
                "private environment: its data-plane steps (Azure ML jobs, registry writes, blob uploads, "
                "smoke tests) cannot reach the resources; give the self-hosted runner's labels "
                "(docs/runners.md) or set network: public (a trial environment)"
            )
        return self

    @model_validator(mode="after")
    def _aggregate_follows_schema(self) -> Environment:
        if self.stream_analytics.aggregate_by is not None:
            problem = self.data_schema().category_problem(self.stream_analytics.aggregate_by)
            if problem:
                raise ValueError(f"stream_analytics.aggregate_by: {problem}")
        return self

    def data_schema(self) -> DataSchema:
        """The environment's data contract (feature names, types, ranges)."""
        return load_data_schema(self.data.schema_path())
