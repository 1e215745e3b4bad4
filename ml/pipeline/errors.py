"""Errors of the pipeline package.

PipelineError
 ├── PipelineDefinitionError  the rendered pipeline or component YAML cannot be run (names file and key)
 ├── StepFailedError          a component's command exited non-zero (names the step and its log)
 └── PromotionError           a model cannot be promoted (names the model, version and registry)
"""

from __future__ import annotations

from pathlib import Path

from ml.errors import MLError


class PipelineError(MLError):
    """Root of every pipeline error."""


class PipelineDefinitionError(PipelineError):
    """A pipeline or component YAML is not runnable; names the file and the key."""

    def __init__(self, path: Path, key: str, reason: str) -> None:
        self.path = path
        self.key = key
        super().__init__(f"{path}: {key}: {reason}")


class StepFailedError(PipelineError):
    """A step's command failed; carries the step, the exit code and the end of its log."""

    def __init__(self, step: str, returncode: int, log: Path, tail: str) -> None:
        self.step = step
        self.returncode = returncode
        self.log = log
        super().__init__(f"step {step} exited with {returncode}; log {log}:\n{tail}")


class PromotionError(PipelineError):
    """A model version cannot be promoted."""
