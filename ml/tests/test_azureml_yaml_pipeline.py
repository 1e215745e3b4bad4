"""Training pipeline YAML, rendered per environment, loaded and validated offline by azure-ai-ml."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from azure.ai.ml import load_component, load_data, load_environment, load_job

from environments.loader import load_environment as load_env
from ml.data.store import TrainingData
from ml.pipeline import azure_submit
from ml.pipeline.errors import PipelineError
from ml.registry import promotion
from ml.render_context import COMPONENTS

ENVIRONMENTS = ("local", "dev", "staging", "prod")
COMMAND_COMPONENT_SCHEMA = "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json"


def _azureml(rendered_ml: dict[str, Path], env: str) -> Path:
    return rendered_ml[env] / "azureml"


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("name", COMPONENTS)
def test_components_validate(rendered_ml: dict[str, Path], env: str, name: str) -> None:
    path = _azureml(rendered_ml, env) / "components" / f"{name}.yml"
    assert yaml.safe_load(path.read_text())["$schema"] == COMMAND_COMPONENT_SCHEMA
    component = load_component(path)
    result = component._validate()
    assert result.passed, result.error_messages
    assert component.command.startswith(f"python -m ml.components.{name} ")
    # `code` is relative to the YAML file, as Azure ML resolves it.
    assert (path.parent / component.code).resolve() == Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_pipeline_job_validates_and_wires_the_gate(rendered_ml: dict[str, Path], env: str) -> None:
    path = _azureml(rendered_ml, env) / "pipelines" / "training.yml"
    job = load_job(path)
    result = job._validate()
    assert result.passed, result.error_messages
    assert list(job.jobs) == ["prep", "train", "evaluate", "register"]
    settings = load_env(env)
    assert job.inputs["promotion_margin"]._data == settings.model.promotion_margin
    assert job.inputs["primary_metric"]._data == settings.model.primary_metric
    assert job.inputs["model_name"]._data == settings.model.name
    data = job.inputs["data"]._data
    if env == "local":
        assert data.path.endswith(".local/state/data/training.parquet")
    else:
        assert data.path.removeprefix("azureml:") == "card-fraud-training-data@latest"


def test_a_wrong_input_reference_fails_validation(rendered_ml: dict[str, Path], tmp_path: Path) -> None:
    source = _azureml(rendered_ml, "dev") / "components" / "train.yml"
    document = yaml.safe_load(source.read_text())
    document["command"] = document["command"].replace("${{inputs.seed}}", "${{inputs.sead}}")
    document["code"] = str(Path(__file__).resolve().parents[2])
    broken = tmp_path / "train.yml"
    broken.write_text(yaml.safe_dump(document))
    result = load_component(broken)._validate()
    assert not result.passed
    assert "sead" in str(result.error_messages)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_data_asset_and_training_environment_load(rendered_ml: dict[str, Path], env: str) -> None:
    folder = _azureml(rendered_ml, env)
    asset = load_data(folder / "data" / "training-data.yml")
    assert asset.type == "uri_file"
    assert asset.name == "card-fraud-training-data"
    environment = load_environment(folder / "environments" / "training.yml")
    pins = environment.conda_file["dependencies"][-1]["pip"]
    assert all("==" in pin for pin in pins)
    assert any(pin.startswith("scikit-learn==") for pin in pins)
    # A dated base image build, never `:latest`: what was validated is what runs.
    assert re.fullmatch(r"mcr\.microsoft\.com/azureml/[\w.-]+:\d{8}\.v\d+", environment.image), (
        environment.image
    )


def test_versions_are_identical_across_environments(rendered_ml: dict[str, Path]) -> None:
    """Content-hashed versions: staging and prod refer to exactly what dev registered."""
    versions = {
        env: (
            load_component(_azureml(rendered_ml, env) / "components" / "train.yml").version,
            load_environment(_azureml(rendered_ml, env) / "environments" / "training.yml").version,
        )
        for env in ENVIRONMENTS
    }
    assert len(set(versions.values())) == 1


def test_submission_requests_pin_the_data_version(rendered_ml: dict[str, Path], tmp_path: Path) -> None:
    folder = rendered_ml["dev"]
    training = TrainingData(tmp_path / "training.parquet", "sha256:" + "ab" * 32, 1000, "generated", "x")
    asset = azure_submit.data_asset(folder, training, 3)
    assert asset.version == "3", "the data version registered for this content (ml/data/versions.py)"
    assert asset.tags["fingerprint"] == training.fingerprint
    job = azure_submit.pipeline_job(
        folder / "azureml" / "pipelines" / "training.yml",
        f"azureml:{asset.name}:{asset.version}",
        {"label_noise": 0.2},
    )
    result = job._validate()
    assert result.passed, result.error_messages
    assert job.inputs["data"]._data.path.removeprefix("azureml:") == "card-fraud-training-data:3"
    assert job.inputs["label_noise"]._data == 0.2
    with pytest.raises(PipelineError, match="no pipeline input"):
        azure_submit.pipeline_job(
            folder / "azureml" / "pipelines" / "training.yml", "azureml:x:1", {"nope": 1}
        )


def test_promotion_puts_model_components_and_environment_in_the_registry(
    rendered_ml: dict[str, Path],
) -> None:
    requests = promotion.registry_requests(load_env("dev"), rendered_ml["dev"], "7")
    assert requests.model.version == "7"
    assert requests.model.registry_name == "sscore-registry"
    environment = f"azureml://registries/sscore-registry/environments/card-fraud-training/versions/{requests.environment.version}"
    assert [c.name for c in requests.components] == [f"card_fraud_{n}" for n in COMPONENTS]
    for component in requests.components:
        assert component.environment == environment
        result = component._validate()
        assert result.passed, result.error_messages
    assert promotion.registry_model_uri("r", "m", "7") == "azureml://registries/r/models/m/versions/7"


def test_dev_trains_again_only_when_code_components_or_data_change(
    rendered_ml: dict[str, Path], tmp_path: Path
) -> None:
    """The run is named after its inputs: same inputs, same name (found, not trained again)."""
    env, folder = load_env("dev"), rendered_ml["dev"]
    pipeline = folder / "azureml" / "pipelines" / "training.yml"
    data = "sha256:" + "ab" * 32
    name = azure_submit.training_job_name(env, folder, pipeline, data, {})
    assert name == azure_submit.training_job_name(env, folder, pipeline, data, {})
    assert name != azure_submit.training_job_name(env, folder, pipeline, "sha256:" + "cd" * 32, {})
    assert name != azure_submit.training_job_name(env, folder, pipeline, data, {"label_noise": 0.2})
    changed = tmp_path / "ml"
    shutil.copytree(folder, changed)
    component = changed / "azureml" / "components" / "train.yml"
    component.write_text(component.read_text().replace('version: "', 'version: "changed-'), encoding="utf-8")
    assert name != azure_submit.training_job_name(env, changed, pipeline, data, {})


def test_a_training_run_of_the_same_inputs_is_reused_awaited_or_retried_under_a_new_name() -> None:
    runs = {"m-train-x": "Completed"}
    assert azure_submit.training_run("m-train-x", runs.get) == ("m-train-x", "reuse")
    assert azure_submit.training_run("m-train-y", {"m-train-y": "Running"}.get) == ("m-train-y", "await")
    assert azure_submit.training_run("m-train-z", {}.get) == ("m-train-z", "submit")
    failed = {"m-train-z": "Failed", "m-train-z-2": "Canceled"}
    assert azure_submit.training_run("m-train-z", failed.get) == ("m-train-z-3", "submit")
