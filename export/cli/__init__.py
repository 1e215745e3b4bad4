"""Command-line entry points of the export domain, one module per command."""
