"""Command-line entry points of the monitoring domain, one module per command."""
