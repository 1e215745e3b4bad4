"""export domain."""
