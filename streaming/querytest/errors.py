"""Errors of the query-test tool: a bad project, test config or data file, named with the key or line."""

from __future__ import annotations

from streaming.errors import StreamingError


class QueryTestError(StreamingError):
    """A project, testConfig.json or input/expected file that cannot be used (names file and reason)."""
