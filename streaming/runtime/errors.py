"""The runtime's exception tree; each error names the file, key, topic or blob it is about.

RunError
├── ProjectError        the rendered ASA project is missing, unreadable or inconsistent
├── SettingsError       broker, storage or endpoint settings are missing or wrong
├── SinkError           an output could not be written durably (nothing is committed then)
├── CheckpointError     the checkpoint could not be read or written
└── ReferenceInputError a reference input has no usable blob (none due, unreadable, too large, no key)
"""

from __future__ import annotations

from streaming.errors import StreamingError


class RunError(StreamingError):
    """Root of every error raised by `streaming.runtime`."""


class ProjectError(RunError):
    """The rendered project (asaproj.json and the files it lists) cannot be used."""


class SettingsError(RunError):
    """Broker, storage or endpoint settings are missing or inconsistent."""


class SinkError(RunError):
    """An output could not be written durably."""


class CheckpointError(RunError):
    """The checkpoint (engine state + input offsets) could not be read or written."""


class ReferenceInputError(RunError):
    """A reference input's blobs cannot be loaded; names the input, container, blob and row."""
