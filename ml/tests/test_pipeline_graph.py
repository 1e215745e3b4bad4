"""Reading the pipeline job: steps in dependency order, bindings resolved, commands filled in safely."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from ml.pipeline.command import render_command
from ml.pipeline.errors import PipelineDefinitionError
from ml.pipeline.graph import JobOutput, ParentInput, load_component, load_pipeline

COMPONENT = {
    "$schema": "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json",
    "type": "command",
    "name": "echo",
    "version": "1",
    "code": ".",
    "environment": "azureml:x:1",
    "inputs": {"src": {"type": "uri_folder"}, "flag": {"type": "boolean", "default": True}},
    "outputs": {"dst": {"type": "uri_folder"}},
    "command": "python -m tool --src ${{inputs.src}} --flag ${{inputs.flag}} --dst ${{outputs.dst}}",
}


def _write(folder: Path, jobs: dict, inputs: dict | None = None) -> Path:
    (folder / "echo.yml").write_text(yaml.safe_dump(COMPONENT))
    (folder / "data").mkdir(exist_ok=True)
    pipeline = {
        "type": "pipeline",
        "experiment_name": "demo",
        "inputs": inputs or {"raw": {"type": "uri_folder", "path": "data"}},
        "jobs": jobs,
    }
    path = folder / "pipeline.yml"
    path.write_text(yaml.safe_dump(pipeline))
    return path


def test_rendered_training_pipeline_runs_prep_train_evaluate_register(rendered_ml: dict[str, Path]) -> None:
    pipeline = load_pipeline(rendered_ml["local"] / "azureml" / "pipelines" / "training.yml")
    assert [s.name for s in pipeline.steps] == ["prep", "train", "evaluate", "register"]
    evaluate = next(s for s in pipeline.steps if s.name == "evaluate")
    assert evaluate.inputs["model"] == JobOutput("train", "model")
    assert evaluate.inputs["promotion_margin"] == ParentInput("promotion_margin")
    register = pipeline.steps[-1]
    assert register.outputs == {"registration": "registration"}


def test_steps_are_ordered_by_their_inputs_not_by_file_order(tmp_path: Path) -> None:
    jobs = {
        "second": {"component": "echo.yml", "inputs": {"src": "${{parent.jobs.first.outputs.dst}}"}},
        "first": {"component": "echo.yml", "inputs": {"src": "${{parent.inputs.raw}}"}},
    }
    pipeline = load_pipeline(_write(tmp_path, jobs))
    assert [s.name for s in pipeline.steps] == ["first", "second"]
    assert pipeline.inputs["raw"].value == (tmp_path / "data").resolve()


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        (
            {"a": {"component": "echo.yml", "inputs": {"src": "${{parent.jobs.b.outputs.dst}}"}}},
            "no output 'dst' of job 'b'",
        ),
        (
            {"a": {"component": "echo.yml", "inputs": {"src": "${{parent.inputs.nope}}"}}},
            "no pipeline input 'nope'",
        ),
        (
            {"a": {"component": "echo.yml", "inputs": {"sorce": "${{parent.inputs.raw}}"}}},
            "not an input of echo",
        ),
        ({"a": {"component": "echo.yml", "inputs": {"src": "${{parent.weird}}"}}}, "unsupported binding"),
        ({"a": {"component": "azureml:echo:1"}}, "needs a component file path"),
        (
            {
                "a": {"component": "echo.yml", "inputs": {"src": "${{parent.jobs.b.outputs.dst}}"}},
                "b": {"component": "echo.yml", "inputs": {"src": "${{parent.jobs.a.outputs.dst}}"}},
            },
            "cycle",
        ),
    ],
)
def test_broken_pipelines_name_file_and_key(tmp_path: Path, jobs: dict, message: str) -> None:
    with pytest.raises(PipelineDefinitionError, match=message) as caught:
        load_pipeline(_write(tmp_path, jobs))
    assert str(tmp_path / "pipeline.yml") in str(caught.value)


def test_command_is_split_before_substitution(tmp_path: Path) -> None:
    (tmp_path / "echo.yml").write_text(yaml.safe_dump(COMPONENT))
    component = load_component(tmp_path / "echo.yml")
    argv = render_command(component, {"src": "/a b/c", "flag": False}, {"dst": Path("/out")})
    assert argv == [sys.executable, "-m", "tool", "--src", "/a b/c", "--flag", "false", "--dst", "/out"]
    with pytest.raises(PipelineDefinitionError, match=r"inputs\.src: no value bound"):
        render_command(component, {"src": None, "flag": True}, {"dst": "/out"})


def test_command_may_only_reference_declared_names(tmp_path: Path) -> None:
    (tmp_path / "echo.yml").write_text(yaml.safe_dump({**COMPONENT, "command": "python x ${{inputs.other}}"}))
    with pytest.raises(PipelineDefinitionError, match="not a declared input"):
        render_command(load_component(tmp_path / "echo.yml"), {"src": "s"}, {"dst": "d"})
