"""Writes into the Azure ML registry, each asset version once.

Registry asset versions are immutable: writing an existing version again is at best a no-op and, with
different content, refused. Our environment and component versions are content hashes
(`environments/asset_versions.py`), so an existing version already holds this content: read first and
write only what is missing, which also keeps a rerun from writing anything twice.
"""

from __future__ import annotations

from typing import Any


def ensure_version(operations: Any, asset: Any) -> bool:
    """Create `asset` through `operations` (e.g. `MLClient.environments`) unless its version exists;
    True when it was created."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        operations.get(asset.name, version=asset.version)
    except ResourceNotFoundError:
        operations.create_or_update(asset)
        return True
    return False
