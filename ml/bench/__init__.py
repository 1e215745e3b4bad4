"""Benchmarks of the ml domain (`python -m ml bench`)."""
