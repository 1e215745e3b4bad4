"""What a deployment tells score.py about itself, through environment variables set by the rollout."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ml.scoring.errors import ScoringConfigError

MODEL_NAME_VAR = "SCORING_MODEL_NAME"
MODEL_VERSION_VAR = "SCORING_MODEL_VERSION"
DEPLOYMENT_VAR = "SCORING_DEPLOYMENT"
ROLE_NAME = "score"


@dataclass(frozen=True)
class ScoringSettings:
    """Model identity and deployment name, echoed in every result and inference record."""

    model_name: str
    model_version: str
    deployment: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ScoringSettings:
        source = os.environ if environ is None else environ
        missing = [var for var in (MODEL_NAME_VAR, MODEL_VERSION_VAR, DEPLOYMENT_VAR) if not source.get(var)]
        if missing:
            raise ScoringConfigError(
                f"score.py needs the environment variables {', '.join(missing)} (set by the deployment)"
            )
        return cls(source[MODEL_NAME_VAR], source[MODEL_VERSION_VAR], source[DEPLOYMENT_VAR])

    def environment_variables(self) -> dict[str, str]:
        """The variables a deployment sets so that score.py finds these settings."""
        return {
            MODEL_NAME_VAR: self.model_name,
            MODEL_VERSION_VAR: self.model_version,
            DEPLOYMENT_VAR: self.deployment,
        }
