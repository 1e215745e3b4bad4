"""An online endpoint's deployments: the two names (blue/green), which one a rollout creates next, and the
definition a deployment is created from (a tag, so an unchanged rollout does nothing).

Owned here because both the rollout (`ml/serving/rollout.py`) and the deployment plan
(`environments/deploy/ml_operations.py`, which names the deployment apply will create) use them.
"""

from __future__ import annotations

import hashlib

DEPLOYMENT_NAMES = ("blue", "green")


def next_deployment(serving: str | None) -> str:
    """The name the new deployment gets: the one of blue/green that is not serving."""
    return DEPLOYMENT_NAMES[1] if serving == DEPLOYMENT_NAMES[0] else DEPLOYMENT_NAMES[0]


def serving_deployment(traffic: dict[str, int] | None) -> str | None:
    """The deployment taking the largest live share, if any takes traffic."""
    live = [(share, name) for name, share in (traffic or {}).items() if share]
    return max(live)[1] if live else None


# Tags on a deployment, set by the rollout: the definition it was created from (`deployment_definition`)
# and the model version it serves.
DEFINITION_TAG = "streamscore-definition"
MODEL_VERSION_TAG = "streamscore-model-version"
DEPLOYMENT_FILE = "ml/azureml/deployment.yml"  # under build/<env>: the rendered shape of every deployment


def deployment_definition(rendered_deployment: str) -> str:
    """The content hash of a rendered deployment.yml (scoring code version, environment, settings): a
    rollout of the same definition and model version changes nothing."""
    return "sha256:" + hashlib.sha256(rendered_deployment.encode("utf-8")).hexdigest()
