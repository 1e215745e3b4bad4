"""Exception tree of the export domain."""

from __future__ import annotations


class ExportError(Exception):
    """Root of every export error."""


class ExportConfigError(ExportError):
    """Environment, window or connection settings that cannot be used."""


class SourceError(ExportError):
    """Reading inference records failed (collector or Log Analytics)."""


class SinkError(ExportError):
    """Writing a blob failed."""
