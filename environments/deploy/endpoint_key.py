"""The online endpoint's key, which Stream Analytics calls it with: kept in Key Vault, rotated by a command.

Why a key: Stream Analytics' Azure ML function binding (`Microsoft.MachineLearningServices`) has no
identity or token mode. Its properties are endpoint, apiKey, inputs, outputs, batchSize,
numberOfParallelRequests, inputRequestName and outputResponseName, and nothing else
(`AzureMachineLearningServiceFunctionBindingProperties` in the Microsoft.StreamAnalytics schemas
2017-04-01-preview and 2021-10-01-preview, the only API versions with it, vendored in
`environments/arm/schemas/`; the SDK reference:
https://azuresdkdocs.z19.web.core.windows.net/javascript/azure-arm-streamanalytics/5.0.0-beta.1/interfaces/AzureMachineLearningServiceFunctionBinding.html,
"apiKey: The API key used to authenticate with Request-Response endpoint"). The job's Event Hubs and
blob bindings, by contrast, take `authenticationMode: Msi`, which the templates use. So the endpoint keeps
`auth_mode: key` and its key is handled like this:

- It lives in the Key Vault secret `ENDPOINT_KEY_SECRET`, tagged with which of the endpoint's two keys
  it holds (`KEY_TAG`). The deploy's `store-endpoint-key` step (planned while the secret does not exist)
  copies the primary key there through ARM.
- The stream job's deployment passes its `scoringApiKey` parameter as a Key Vault reference
  (`key_vault_parameter`): ARM reads the secret while deploying
  (https://learn.microsoft.com/azure/azure-resource-manager/templates/key-vault-parameter; the vault sets
  `enabledForTemplateDeployment`), so the deploy never holds the key, and no template, parameter file,
  plan or log line contains it.
- `python -m environments rotate-key <env>` (`rotate`) regenerates the key the job does not use, gives it
  to the job's function (stopping the job for that and resuming it from its last output, so nothing is
  lost; a running job refuses function changes), puts it in Key Vault, then regenerates the key the job
  used before, so the old key stops working. Each run flips primary and secondary. The secret's tag names
  the key the job calls with and changes only once the job has the new one, so a run that failed before
  that (the job is started again with its old key) can simply be run again. Run it after an endpoint was
  recreated too: a new endpoint has new keys.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from environments.deploy.vault_parameters import KEY_VAULT_API_VERSION, vault_reference
from environments.errors import EnvironmentsError
from environments.model import Environment
from environments.naming import resource_names
from environments.stream_aliases import FUNCTION_SCORE

log = logging.getLogger(__name__)

ENDPOINT_KEY_SECRET = "scoring-endpoint-key"
"""The Key Vault secret holding the key the Stream Analytics job calls the endpoint with."""
KEY_TAG = "endpoint-key"
"""Tag on the secret: which of the endpoint's keys it holds, `primary` or `secondary`."""
KEY_PARAMETER = "scoringApiKey"
"""The stream job template's securestring parameter that takes the key."""
KEYS = ("primary", "secondary")
RESUME = "LastOutputEventTime"


class EndpointKeyError(EnvironmentsError):
    """Storing or rotating the endpoint key failed; names the step and the resource."""


@dataclass(frozen=True)
class KeyPlaces:
    """Where the key lives (ids below the subscription), derived once from the environment."""

    resource_group: str
    vault_id: str
    endpoint: str
    stream_job: str

    @property
    def secret_id(self) -> str:
        return f"{self.vault_id}/secrets/{ENDPOINT_KEY_SECRET}"

    @classmethod
    def of(cls, env: Environment) -> KeyPlaces:
        if env.azure is None:
            raise EndpointKeyError(f"environment {env.name} is not an Azure target")
        names = resource_names(env)
        group = env.azure.resource_group
        vault = f"resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{names.key_vault}"
        return cls(group, vault, names.endpoint, names.stream_job)


def key_vault_parameter(places: KeyPlaces, subscription_id: str) -> dict[str, Any]:
    """The `scoringApiKey` parameter of the stream job's deployment: a reference ARM resolves, no value."""
    return vault_reference(places.vault_id, ENDPOINT_KEY_SECRET, subscription_id)


def other_key(which: str) -> str:
    """The endpoint key that is not `which`."""
    if which not in KEYS:
        raise EndpointKeyError(f"secret {ENDPOINT_KEY_SECRET}: tag {KEY_TAG}={which!r} is not one of {KEYS}")
    return KEYS[1 - KEYS.index(which)]


def rotation_steps(places: KeyPlaces, in_use: str) -> list[str]:
    """What `rotate` does, in order, for the printout (pure)."""
    new = other_key(in_use)
    endpoint = f"online endpoint {places.endpoint}"
    return [
        f"{endpoint}: regenerate the {new} key (unused)",
        f"stream job {places.stream_job}: stop (when running), function {FUNCTION_SCORE} gets the {new} key, "
        f"start again from its last output ({RESUME})",
        f"Key Vault secret {ENDPOINT_KEY_SECRET}: the new {new} key",
        f"{endpoint}: regenerate the {in_use} key (the old one stops working)",
    ]


class KeyCalls:
    """The Azure calls on the key, over an `AzureClients` (tests give it the simulated control plane)."""

    def __init__(self, env: Environment, clients: Any) -> None:
        self.places = KeyPlaces.of(env)
        self.clients = clients
        self._ml = clients.ml(self.places.resource_group, resource_names(env).workspace)

    def _secret_url(self) -> str:
        return f"/subscriptions/{self.clients.subscription_id}/{self.places.secret_id}"

    def key_in_use(self) -> str | None:
        """Which endpoint key the secret holds (its tag), or None when there is no secret yet."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            secret = self.clients.resources().get_by_id(self._secret_url(), api_version=KEY_VAULT_API_VERSION)
        except ResourceNotFoundError:
            return None
        return str((secret.tags or {}).get(KEY_TAG, KEYS[0]))

    def endpoint_key(self, which: str) -> str:
        keys = self._ml.online_endpoints.get_keys(self.places.endpoint)
        value = keys.primary_key if which == KEYS[0] else keys.secondary_key
        if not value:
            raise EndpointKeyError(f"online endpoint {self.places.endpoint} gave no {which} key (key auth?)")
        return str(value)

    def store(self, which: str) -> None:
        """Key Vault secret := the endpoint's `which` key, through ARM (the value is never logged)."""
        body = {
            "tags": {KEY_TAG: which},
            "properties": {
                "value": self.endpoint_key(which),
                "contentType": f"Azure ML endpoint {which} key",
            },
        }
        self.clients.resources().begin_create_or_update_by_id(
            self._secret_url(), body, api_version=KEY_VAULT_API_VERSION
        ).result()

    def regenerate(self, which: str) -> None:
        self._ml.online_endpoints.begin_regenerate_keys(self.places.endpoint, key_type=which).result()

    def give_job(self, which: str) -> None:
        """The stream job's function takes the endpoint's `which` key; a running job is stopped for it
        and resumed from its last output."""
        from azure.mgmt.streamanalytics.models import (
            AzureMachineLearningServiceFunctionBinding,
            Function,
            ScalarFunctionProperties,
            StartStreamingJobParameters,
        )

        jobs, group, name = self.clients.streaming_jobs(), self.places.resource_group, self.places.stream_job
        running = str(jobs.get(group, name).job_state or "").lower() == "running"
        if running:
            jobs.begin_stop(group, name).result()
        try:
            binding = AzureMachineLearningServiceFunctionBinding(api_key=self.endpoint_key(which))
            self.clients.stream_functions().update(
                group, name, FUNCTION_SCORE, Function(properties=ScalarFunctionProperties(binding=binding))
            )
        finally:  # with the new key, or still the old one if the update failed: the job runs again
            if running:
                jobs.begin_start(group, name, StartStreamingJobParameters(output_start_mode=RESUME)).result()


def store_endpoint_key(env: Environment, clients: Any) -> None:
    """The deploy's `store-endpoint-key` step: Key Vault gets the endpoint's primary key."""
    KeyCalls(env, clients).store(KEYS[0])


def rotate(env: Environment, clients: Any, report: Callable[[str], Any] = print) -> str:
    """Rotate the key the stream job uses (see the module docstring); returns the key now in use."""
    calls = KeyCalls(env, clients)
    in_use = calls.key_in_use()
    if in_use is None:
        raise EndpointKeyError(
            f"Key Vault secret {ENDPOINT_KEY_SECRET} does not exist: deploy {env.name} first "
            "(its store-endpoint-key step creates it)"
        )
    new = other_key(in_use)
    steps = rotation_steps(calls.places, in_use)
    actions: list[Callable[[], object]] = [
        lambda: calls.regenerate(new),
        lambda: calls.give_job(new),
        lambda: calls.store(new),
        lambda: calls.regenerate(in_use),
    ]
    for index, (step, action) in enumerate(zip(steps, actions, strict=True), start=1):
        report(f"[{index}/{len(steps)}] {step}")
        try:
            action()
        except EndpointKeyError:
            raise
        except Exception as exc:  # an SDK error: name the step; the key is never part of it
            raise EndpointKeyError(
                f"rotate-key {env.name}, step {index} ({step}): {type(exc).__name__}: {exc}"
            ) from exc
    return new
