"""Errors of the drift stage.

DriftError
├── DriftInputError     a file, column or value that cannot be read as the schema says
└── DriftPipelineError  a step of the drift pipeline (window, blobs, telemetry) failed
"""

from __future__ import annotations

from monitoring.errors import MonitoringError


class DriftError(MonitoringError):
    """Root of every drift error."""


class DriftInputError(DriftError):
    """A reference or current data set cannot be read as the schema says (names file and column)."""


class DriftPipelineError(DriftError):
    """A step of the drift pipeline failed (names the step and the resource)."""
