"""Retraining when drift alerts fire: locally the ML commands, on Azure a GitHub `repository_dispatch`."""
