"""The drift environment's base image is a dated build, never `:latest`, in every environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from azure.ai.ml import load_environment

from environments.loader import load_environment as load_env
from environments.render import render_template


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_drift_environment_pins_its_base_image(name: str, tmp_path: Path) -> None:
    env = load_env(name)
    for template, target in (
        ("monitoring/templates/azureml/environment-drift.yml.j2", "environment-drift.yml"),
        ("monitoring/templates/azureml/environment-drift-conda.yml.j2", "environment-drift-conda.yml"),
    ):
        render_template(env, template, tmp_path / target)
    environment = load_environment(tmp_path / "environment-drift.yml")
    assert environment.conda_file is not None  # loaded (schema-checked) by azure-ai-ml
    assert re.fullmatch(r"mcr\.microsoft\.com/azureml/[\w.-]+:\d{8}\.v\d+", environment.image), (
        environment.image
    )
