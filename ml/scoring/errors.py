"""Errors of the scoring package; row problems are not exceptions, they come back as row errors."""

from __future__ import annotations

from ml.errors import MLError


class ScoringError(MLError):
    """Root of every scoring error."""


class ScoringConfigError(ScoringError):
    """The model folder, its schema or a scoring setting cannot be used; names the path or variable."""


class NotABatchError(ScoringError):
    """The request body is not a batch (`{"Inputs": {"data": [...]}}`); answered with HTTP 400."""
