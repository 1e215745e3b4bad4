"""Offline validation of rendered ARM templates against the official schemas, plus project rules."""

from environments.arm.validate import validate_directory, validate_template

__all__ = ["validate_directory", "validate_template"]
