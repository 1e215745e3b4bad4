"""Errors of the retraining stage.

RetrainError
├── StepError       a local retraining step could not run or answered something unreadable
└── DispatchError   the GitHub repository_dispatch request was refused or could not be built
"""

from __future__ import annotations

from monitoring.errors import MonitoringError


class RetrainError(MonitoringError):
    """Root of every retraining error."""


class StepError(RetrainError):
    """A local retraining step failed to run or its output cannot be read."""


class DispatchError(RetrainError):
    """The repository_dispatch request failed or cannot be built."""
