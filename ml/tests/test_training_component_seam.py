"""`model.training_component`: the rendered training pipeline runs the team's component as its train job,
and Azure ML validates the result offline (the breast-cancer example's component, docs/own-data.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from azure.ai.ml import load_job

from environments.loader import OVERRIDES_VARIABLE
from environments.render import render_environment

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "breast-cancer"


@pytest.mark.parametrize("env", ["local", "dev"])
def test_the_pipeline_runs_the_team_s_training_component(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(EXAMPLE / "environment.yml"))
    render_environment(env, out=tmp_path, domains=("ml",))
    path = tmp_path / "ml" / "azureml" / "pipelines" / "training.yml"
    train = yaml.safe_load(path.read_text())["jobs"]["train"]
    assert (path.parent / train["component"]).resolve() == EXAMPLE / "train-component.yml"
    job = load_job(path)
    result = job._validate()
    assert result.passed, result.error_messages
    assert list(job.jobs) == ["prep", "train", "evaluate", "register"]
    assert job.jobs["train"].component.command.startswith("python examples/breast-cancer/train_forest.py ")
    assert job.inputs["model_name"]._data == "breast-cancer"


def test_without_the_key_the_platform_s_own_train_component_runs(tmp_path: Path) -> None:
    render_environment("dev", out=tmp_path, domains=("ml",))
    path = tmp_path / "ml" / "azureml" / "pipelines" / "training.yml"
    assert yaml.safe_load(path.read_text())["jobs"]["train"]["component"] == "../components/train.yml"
