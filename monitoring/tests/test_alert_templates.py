"""Rendered drift alert templates: schema-valid ARM, thresholds and schedule from the environment file,
the retrain Logic App's repository_dispatch, and the rules the local evaluator reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from azure.ai.ml import load_component, load_environment, load_job

from environments.arm import validate_directory
from environments.loader import load_environment as load_env
from environments.render import render_template
from monitoring.alerts.rules import rules_from_template
from monitoring.render_context import iso_duration

AZURE_ENVIRONMENTS = ("dev", "staging", "prod")
ARM = "monitoring/templates/arm/drift-alerts.json.j2"
ARM_PARAMETERS = "monitoring/templates/arm/drift-alerts.parameters.json.j2"


def _render_arm(env, folder: Path) -> dict:
    render_template(env, ARM, folder / "drift-alerts.json")
    render_template(env, ARM_PARAMETERS, folder / "drift-alerts.parameters.json")
    return json.loads((folder / "drift-alerts.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", AZURE_ENVIRONMENTS)
def test_alert_template_is_schema_valid_and_follows_the_environment(name: str, tmp_path: Path) -> None:
    env = load_env(name)
    document = _render_arm(env, tmp_path)
    assert validate_directory(tmp_path) == [tmp_path / "drift-alerts.json"]

    types = [r["type"] for r in document["resources"]]
    assert types.count("Microsoft.Insights/scheduledQueryRules") == 2
    assert {r["apiVersion"] for r in document["resources"] if r["type"].endswith("scheduledQueryRules")} == {
        "2026-03-01"
    }
    rules = {r.metric_name: r for r in rules_from_template(document, "rendered")}
    numeric = rules[f"drift_{env.monitoring.alert.numeric_metric}"]
    categorical = rules[f"drift_{env.monitoring.alert.categorical_metric}"]
    assert numeric.threshold == getattr(env.monitoring.drift, env.monitoring.alert.numeric_metric)
    assert categorical.threshold == getattr(env.monitoring.drift, env.monitoring.alert.categorical_metric)
    schema = env.data_schema()
    assert set(numeric.features) == {f.name for f in schema.features if f.is_numeric} | {"score"}
    assert set(categorical.features) == {f.name for f in schema.features if not f.is_numeric}
    for rule in rules.values():
        assert rule.environment == name
        assert (rule.operator, rule.time_aggregation) == ("GreaterThan", "Maximum")
        assert rule.window.total_seconds() == env.monitoring.alert.window_minutes * 60
        assert rule.frequency.total_seconds() == env.monitoring.alert.evaluation_frequency_minutes * 60
        assert rule.severity == env.monitoring.alert.severity
        assert rule.dimensions == ("feature", "model", "version")


def test_retrain_logic_app_dispatches_with_a_token_arm_fills_from_key_vault(tmp_path: Path) -> None:
    env = load_env("prod")
    document = _render_arm(env, tmp_path)
    workflow = next(r for r in document["resources"] if r["type"] == "Microsoft.Logic/workflows")
    assert workflow["apiVersion"] == "2016-06-01"
    actions = workflow["properties"]["definition"]["actions"]
    # Nothing private is read at run time (the app runs outside the network): no vault call, no identity.
    assert set(actions) == {"Dispatch_retrain"} and "identity" not in workflow
    assert f"{env.prefix}-prod-kv" not in json.dumps(workflow)
    token = document["parameters"]["dispatchToken"]
    assert token["type"] == "securestring" and "defaultValue" not in token
    assert token["metadata"]["streamscore"] == {
        "keyVaultSecret": "github-dispatch-token",
        "emptyUntilStored": True,
    }
    assert workflow["properties"]["definition"]["parameters"]["dispatchToken"] == {"type": "SecureString"}
    assert workflow["properties"]["parameters"]["dispatchToken"] == {"value": "[parameters('dispatchToken')]"}
    assert (
        workflow["properties"]["state"] == "[if(empty(parameters('dispatchToken')), 'Disabled', 'Enabled')]"
    )
    dispatch = actions["Dispatch_retrain"]
    assert (
        dispatch["inputs"]["headers"]["Authorization"] == "@{concat('Bearer ', parameters('dispatchToken'))}"
    )
    assert dispatch["runtimeConfiguration"]["secureData"]["properties"] == ["inputs"], (
        "no token in run history"
    )
    assert dispatch["inputs"]["method"] == "POST" and "/dispatches" in dispatch["inputs"]["uri"]
    assert dispatch["inputs"]["body"]["event_type"] == "retrain"
    assert set(dispatch["inputs"]["body"]["client_payload"]) >= {"environment", "model", "metrics"}
    # The dispatch goes to the repository the deploy runs in (GITHUB_REPOSITORY, read at apply time).
    assert workflow["properties"]["parameters"]["repository"] == {"value": "[parameters('githubRepository')]"}
    assert "defaultValue" not in workflow["properties"]["definition"]["parameters"]["repository"]
    assert env.github.repository not in json.dumps(document)
    group = next(r for r in document["resources"] if r["type"] == "Microsoft.Insights/actionGroups")
    receiver = group["properties"]["logicAppReceivers"][0]
    assert receiver["resourceId"] == "[variables('workflowId')]" and receiver["useCommonAlertSchema"] is True
    assert (
        document["variables"]["workflowId"]
        == f"[resourceId('Microsoft.Logic/workflows', '{workflow['name']}')]"
    )
    # Secrets stay in Key Vault: neither file holds a value, the parameters file not even a reference.
    parameters = (tmp_path / "drift-alerts.parameters.json").read_text(encoding="utf-8")
    assert "dispatchToken" not in parameters and "ghp_" not in json.dumps(document)


def test_pvalue_alert_metric_alerts_below_its_threshold(tmp_path: Path) -> None:
    env = load_env("dev")
    alert = env.monitoring.alert.model_copy(update={"numeric_metric": "two_sample_kolmogorov_smirnov_test"})
    env = env.model_copy(update={"monitoring": env.monitoring.model_copy(update={"alert": alert})})
    rules = rules_from_template(_render_arm(env, tmp_path), "rendered")
    ks = next(r for r in rules if r.metric_name == "drift_two_sample_kolmogorov_smirnov_test")
    assert (ks.operator, ks.time_aggregation, ks.threshold) == ("LessThan", "Minimum", 0.01)
    validate_directory(tmp_path)


def test_local_rules_are_the_same_template_rendered_for_local() -> None:
    from monitoring.alerts import load_rules

    env = load_env("local")
    path, rules = load_rules(env)
    assert path.name == "drift-alerts.json"
    assert {r.window.total_seconds() for r in rules} == {env.monitoring.alert.window_minutes * 60}
    assert iso_duration(env.monitoring.alert.evaluation_frequency_minutes) == "PT5M"
    validate_directory(path.parent)


@pytest.mark.parametrize("name", ["local", "dev"])
def test_drift_component_and_pipeline_job_validate(name: str, tmp_path: Path) -> None:
    env = load_env(name)
    folder = tmp_path / "azureml"
    for template, target in (
        ("monitoring/templates/azureml/components/drift.yml.j2", "components/drift.yml"),
        ("monitoring/templates/azureml/pipelines/drift.yml.j2", "pipelines/drift.yml"),
        ("monitoring/templates/azureml/environment-drift.yml.j2", "environment-drift.yml"),
        ("monitoring/templates/azureml/environment-drift-conda.yml.j2", "environment-drift-conda.yml"),
    ):
        render_template(env, template, folder / target)
    component = load_component(folder / "components" / "drift.yml")
    assert component._validate().passed, component._validate()
    job = load_job(folder / "pipelines" / "drift.yml")
    assert job._validate().passed, job._validate()
    assert job.inputs["window_hours"]._data == env.monitoring.drift_window_hours
    assert json.loads(job.inputs["thresholds"]._data)["normalized_wasserstein_distance"] == 0.1
    environment = load_environment(folder / "environment-drift.yml")
    assert any(str(d).startswith("scipy==") for d in environment.conda_file["dependencies"][2]["pip"])
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING=" not in (folder / "pipelines" / "drift.yml").read_text()
