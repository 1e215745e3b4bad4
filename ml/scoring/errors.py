"""Errors of the scoring package; row problems are not exceptions, they come back as row errors."""

from __future__ import annotations

from ml.errors import MLError


class ScoringError(MLError):
    """Root of every scoring error."""


class ScoringConfigError(ScoringError):
    """The model folder, its schema or a scoring setting cannot be used; names the path or variable."""


class BadRequestError(ScoringError):
    """A request score.py refuses before scoring any row; `status` is the 4xx it is answered with."""

    status = 400


class NotABatchError(BadRequestError):
    """The body is not a batch (not UTF-8, not JSON, not `{"Inputs": {"data": [...]}}`): HTTP 400."""


class TooLargeError(BadRequestError):
    """The body, or the batch in it, is larger than the limit: HTTP 413."""

    status = 413


class NotJsonContentError(BadRequestError):
    """The request does not say `Content-Type: application/json`: HTTP 415."""

    status = 415


class MethodNotAllowedError(BadRequestError):
    """Anything but POST on the scoring route: HTTP 405."""

    status = 405
