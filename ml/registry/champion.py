"""Which registered version is in production: the model-version tag `stage=<stage>` is the source of truth.

Azure ML's MLflow registry keeps model-version tags but not registered-model aliases, so the tag is what
every registry agrees on; where aliases exist (the local MLflow store) the alias of the same name is
moved together with the tag and must agree with it.

The lookup tells "there is no champion" (the model is not registered yet, or has no version) apart from
"the lookup failed" (the registry cannot be read, or its state is inconsistent): only the first lets a
challenger register without a comparison; the second raises `ChampionLookupError`.

Imports only MLflow and `ml.registry.errors`: the training components ship it in their code folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ml.registry.errors import ChampionLookupError, RegistryError

if TYPE_CHECKING:
    from mlflow import MlflowClient

STAGE_TAG = "stage"
__all__ = ["STAGE_TAG", "Champion", "ChampionLookupError", "RegistryError", "find_champion", "set_champion"]


@dataclass(frozen=True)
class Champion:
    """The result of a successful lookup: the production version, or None with the reason there is none."""

    version: str | None
    reason: str


def supports_aliases(registry_uri: str) -> bool:
    """Whether the registry has registered-model aliases (Azure ML's `azureml://` registry does not)."""
    return not registry_uri.startswith("azureml:")


def registry_uri(client: MlflowClient) -> str:
    """The registry a client talks to (MlflowClient keeps it; the process default otherwise)."""
    import mlflow

    return str(getattr(client, "_registry_uri", None) or mlflow.get_registry_uri())


def find_champion(client: MlflowClient, name: str, stage: str) -> Champion:
    """The version tagged `stage=<stage>`; raises `ChampionLookupError` when the registry cannot tell."""
    from mlflow.exceptions import MlflowException

    where = f"registry {registry_uri(client)}: model {name!r}"
    try:
        registered = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return Champion(None, f"model {name!r} is not registered yet")
        raise ChampionLookupError(f"{where}: cannot read the registered model: {exc}") from exc
    try:
        versions = client.search_model_versions(f"name='{name}'")
    except MlflowException as exc:
        raise ChampionLookupError(f"{where}: cannot list the model's versions: {exc}") from exc
    if not versions:
        return Champion(None, f"model {name!r} has no version yet")
    tagged = sorted((str(v.version) for v in versions if (v.tags or {}).get(STAGE_TAG) == stage), key=int)
    if not tagged:
        listed = ", ".join(sorted((str(v.version) for v in versions), key=int))
        raise ChampionLookupError(
            f"{where}: versions {listed} exist but none has the tag {STAGE_TAG}={stage}; tag the production "
            f"version (MlflowClient().set_model_version_tag({name!r}, <version>, {STAGE_TAG!r}, {stage!r}))"
        )
    if len(tagged) > 1:
        raise ChampionLookupError(
            f"{where}: versions {', '.join(tagged)} all have the tag {STAGE_TAG}={stage}; "
            f"remove it from all but the production version"
        )
    alias = (getattr(registered, "aliases", None) or {}).get(stage)
    if alias is not None and str(alias) != tagged[0]:
        raise ChampionLookupError(
            f"{where}: the tag {STAGE_TAG}={stage} is on version {tagged[0]} but the alias {stage!r} "
            f"points to version {alias}; move one of them"
        )
    return Champion(tagged[0], f"version {tagged[0]} has the tag {STAGE_TAG}={stage}")


def set_champion(client: MlflowClient, name: str, version: str, stage: str) -> None:
    """Make `version` the one tagged `stage=<stage>` (and, where aliases exist, the alias `stage`)."""
    client.set_model_version_tag(name, version, STAGE_TAG, stage)
    for other in client.search_model_versions(f"name='{name}'"):
        if str(other.version) != str(version) and (other.tags or {}).get(STAGE_TAG) == stage:
            client.delete_model_version_tag(name, str(other.version), STAGE_TAG)
    if supports_aliases(registry_uri(client)):
        client.set_registered_model_alias(name, stage, version)
