"""Command-line entry points of the streaming domain, one module per command."""
