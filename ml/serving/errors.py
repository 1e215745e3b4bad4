"""Errors of the serving package (see the tree in `ml/serving/__init__.py`)."""

from __future__ import annotations

from ml.errors import MLError


class ServingError(MLError):
    """Root of every serving error."""


class ServerStartError(ServingError):
    """A deployment's inference server did not start or did not become ready."""


class RolloutError(ServingError):
    """A rollout step failed; the deployment that served before still serves."""


class TrafficHistoryError(RolloutError):
    """A traffic change could not be recorded in the inference log (decision 0014); the change was not
    applied. Names the role to grant when ingestion refused the caller."""


class SmokeTestError(RolloutError):
    """The new deployment answered the smoke batch wrongly."""


class RolledBackError(RolloutError):
    """The new deployment regressed (or someone rolled back) and traffic is back on the old one; says why."""


class ManifestError(ServingError):
    """A manifest file (model or endpoint) is missing or malformed; names the file and key."""
