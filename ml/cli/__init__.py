"""Command-line entry points of the ml domain, one module per command."""
