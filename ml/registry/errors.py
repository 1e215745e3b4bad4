"""Errors of the registry package (imports only `ml.errors`: the training components ship it).

RegistryError
 ├── ChampionLookupError  the production version cannot be determined (the pipeline must stop)
 └── RegistryAccessError  the shared registry's role assignment for a workspace cannot be made
"""

from __future__ import annotations

from ml.errors import MLError


class RegistryError(MLError):
    """Root of the registry errors."""


class ChampionLookupError(RegistryError):
    """The production version cannot be determined; a challenger must not be registered blindly."""


class RegistryAccessError(RegistryError):
    """A workspace cannot be given access to the shared registry."""
