"""streaming domain."""
