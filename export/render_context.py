"""Values the export templates place: the scheduled Azure ML export job (decision 0016), its compute,
identity and environment."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from environments.asset_versions import code_version, content_version, pinned
from environments.model import Environment
from environments.naming import resource_names

# What `python -m export run` imports (export/, environments/ loading the environment file), pinned from
# the project's lock file.
EXPORT_PACKAGES = (
    "pyarrow",
    "pydantic",
    "pyyaml",
    "httpx",
    "azure-identity",
    "azure-monitor-query",
    "azure-storage-blob",
)
# A dated build, never `:latest` (the environment version hashes this name).
EXPORT_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20260514.v1"
EXPORT_SOURCES = (
    "export/__init__.py",
    "export/__main__.py",
    "export/blob_sink.py",
    "export/errors.py",
    "export/exporter.py",
    "export/parquet_bytes.py",
    "export/query_text.py",
    "export/rows.py",
    "export/schema.py",
    "export/targets.py",
    "export/windows.py",
    "export/cli",
    "export/sources",
    "export/queries/inference_records.kql",
    "environments/loader.py",
    "environments/model.py",
    "environments/data_schema.py",
    "environments/naming.py",
    "environments/errors.py",
    "environments/cli_arguments.py",
)
"""The code the export component runs, its query included (its version is a hash of them; tests and
benchmarks left out)."""
REPO_ROOT = Path(__file__).resolve().parent.parent
EXPORT_COMPUTE = "export-cluster"
"""The export job's compute cluster (2-16 characters): it carries only the export identity."""
AZURE_ONLY = {
    "azureml/components/export.yml",
    "azureml/pipelines/export.yml",
    "azureml/environment-export.yml",
    "azureml/environment-export-conda.yml",
}


def omitted(env: Environment) -> set[str]:
    """The Azure ML job files render for Azure environments only (locally `python -m export run` runs as is)."""
    return set() if env.target == "azure" else set(AZURE_ONLY)


def context(env: Environment) -> dict[str, Any]:
    names = resource_names(env)
    interval = env.monitoring.export_interval_minutes
    requirements = pinned(EXPORT_PACKAGES)
    return {
        "export": {
            "schedule": f"{names.base}-export",
            "compute": EXPORT_COMPUTE,
            "component_name": f"{env.model.name.replace('-', '_')}_export",
            "component_version": code_version(EXPORT_SOURCES, REPO_ROOT),
            "interval_minutes": interval,
            # Every run rewrites the whole hours its interval covers, so no hour is skipped or split.
            "hours_per_run": max(1, math.ceil(interval / 60)),
            "environment": {
                "name": f"{env.model.name}-export",
                "version": content_version([EXPORT_IMAGE.encode(), *(r.encode() for r in requirements)]),
                "image": EXPORT_IMAGE,
                "conda": {
                    "name": "export",
                    "channels": ["conda-forge"],
                    "dependencies": ["python=3.11", "pip", {"pip": requirements}],
                },
            },
        }
    }
