"""The ml domain's root exception; each package has its own subtree below it.

    MLError
    ├── DataError        ml.data: a data file or generated sample that breaks the schema
    ├── PipelineError    ml.pipeline: a component, the runner or an Azure submission failed
    ├── ScoringError     ml.scoring: score.py cannot load its model or the body is not a batch
    ├── ServingError     ml.serving: the local endpoint, a rollout or a smoke test failed
    └── RegistryError    ml.registry: the production version or the registry's access cannot be set

Kept free of imports: it ships in score.py's code folder.
"""

from __future__ import annotations


class MLError(Exception):
    """Root of every error raised by the ml domain."""
