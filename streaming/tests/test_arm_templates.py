"""Rendered ARM for Event Hubs and the Stream Analytics job: schema-valid, and the job round-trips through
the azure-mgmt-streamanalytics 2.0.0b2 models (the only version with the Azure ML function binding)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.streamanalytics.models import AzureMachineLearningServiceFunctionBinding, StreamingJob

from environments.arm import validate_directory, validate_template
from environments.loader import load_environment
from environments.render import render_environment
from streaming import aliases

ARM_ONLY_KEYS = ("type", "apiVersion", "name", "dependsOn")


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp(f"arm-{request.param}")
    render_environment(request.param, out=out)
    return request.param, out / "streaming"


def _job(folder: Path) -> dict[str, Any]:
    template = json.loads((folder / "arm" / "stream-job.json").read_text(encoding="utf-8"))
    return next(r for r in template["resources"] if r["type"] == "Microsoft.StreamAnalytics/streamingjobs")


def test_templates_and_parameter_files_validate(rendered: tuple[str, Path]) -> None:
    _, folder = rendered
    validated = {p.name for p in validate_directory(folder / "arm")}
    assert validated == {"event-hubs.json", "stream-cluster.json", "stream-job.json"}


def test_a_misspelled_binding_property_is_refused(tmp_path: Path) -> None:
    render_environment("dev", out=tmp_path)
    template = json.loads((tmp_path / "streaming" / "arm" / "stream-job.json").read_text(encoding="utf-8"))
    binding = template["resources"][0]["properties"]["functions"][0]["properties"]["properties"]["binding"]
    binding["properties"]["batchSze"] = binding["properties"].pop("batchSize")
    assert any("batchSze" in problem for problem in validate_template(template))


def test_job_round_trips_through_the_sdk_models(rendered: tuple[str, Path]) -> None:
    _, folder = rendered
    body = {k: v for k, v in _job(folder).items() if k not in ARM_ONLY_KEYS}
    model = StreamingJob.deserialize(copy.deepcopy(body))  # deserialize mutates its input
    assert isinstance(model.functions[0].properties.binding, AzureMachineLearningServiceFunctionBinding)
    assert model.serialize() == body, "a key the SDK models do not know would be dropped by the service"


def test_job_settings_come_from_the_environment(rendered: tuple[str, Path]) -> None:
    name, folder = rendered
    env = load_environment(name)
    job = _job(folder)
    properties = job["properties"]
    assert job["identity"] == {"type": "SystemAssigned"}
    assert properties["sku"] == {"name": "Standard"}
    assert (
        properties["transformation"]["properties"]["streamingUnits"] == env.stream_analytics.streaming_units
    )
    assert properties["eventsOutOfOrderPolicy"] == env.stream_analytics.out_of_order_policy
    assert [i["name"] for i in properties["inputs"]] == list(aliases.INPUTS)
    assert sorted(o["name"] for o in properties["outputs"]) == sorted(aliases.OUTPUTS)
    binding = properties["functions"][0]["properties"]["properties"]["binding"]["properties"]
    assert binding["apiKey"] == "[parameters('scoringApiKey')]"
    assert binding["batchSize"] == env.stream_analytics.function_batch_size
    assert binding["numberOfParallelRequests"] == env.stream_analytics.function_parallel_requests


def test_transformation_is_the_rendered_query(rendered: tuple[str, Path]) -> None:
    _, folder = rendered
    query = (folder / "asa" / "scoring.asaql").read_text(encoding="utf-8")
    assert query.strip(), "the query rendered empty"
    assert _job(folder)["properties"]["transformation"]["properties"]["query"] == query


def test_the_key_is_never_written(rendered: tuple[str, Path]) -> None:
    _, folder = rendered
    template = json.loads((folder / "arm" / "stream-job.json").read_text(encoding="utf-8"))
    parameters = json.loads((folder / "arm" / "stream-job.parameters.json").read_text(encoding="utf-8"))
    assert template["parameters"]["scoringApiKey"]["type"] == "securestring"
    assert "defaultValue" not in template["parameters"]["scoringApiKey"]
    assert "scoringApiKey" not in parameters["parameters"]


def test_job_identity_gets_its_data_roles(rendered: tuple[str, Path]) -> None:
    _, folder = rendered
    template = json.loads((folder / "arm" / "stream-job.json").read_text(encoding="utf-8"))
    roles = [r for r in template["resources"] if r["type"] == "Microsoft.Authorization/roleAssignments"]
    granted = {r["properties"]["roleDefinitionId"] for r in roles}
    assert granted == {
        "[variables('eventHubsDataReceiver')]",
        "[variables('eventHubsDataSender')]",
        "[variables('storageBlobDataContributor')]",
    }
    assert all("identity.principalId" in r["properties"]["principalId"] for r in roles)


def test_event_hubs_namespace_speaks_kafka_with_the_configured_partitions(rendered: tuple[str, Path]) -> None:
    name, folder = rendered
    env = load_environment(name)
    template = json.loads((folder / "arm" / "event-hubs.json").read_text(encoding="utf-8"))
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in template["resources"]:
        by_type.setdefault(resource["type"], []).append(resource)
    namespace = by_type["Microsoft.EventHub/namespaces"][0]
    assert namespace["properties"]["kafkaEnabled"] is True
    assert namespace["sku"]["name"] in ("Standard", "Premium")
    hubs = by_type["Microsoft.EventHub/namespaces/eventhubs"]
    assert {h["name"].split("/")[-1] for h in hubs} == {env.event_hubs.input_hub, env.event_hubs.output_hub}
    assert all(h["properties"]["partitionCount"] == env.event_hubs.partitions for h in hubs)
    assert len(by_type["Microsoft.EventHub/namespaces/eventhubs/consumergroups"]) == 1


def test_event_hubs_accept_entra_id_only(rendered: tuple[str, Path]) -> None:
    # Producer and runtime sign in with OAUTHBEARER, the job with its managed identity: no SAS key works.
    _, folder = rendered
    template = json.loads((folder / "arm" / "event-hubs.json").read_text(encoding="utf-8"))
    namespace = next(r for r in template["resources"] if r["type"] == "Microsoft.EventHub/namespaces")
    assert namespace["properties"]["disableLocalAuth"] is True
    job = _job(folder)
    sources = [i["properties"]["datasource"] for i in job["properties"]["inputs"]]
    sources += [o["properties"]["datasource"] for o in job["properties"]["outputs"]]
    assert all(s["properties"]["authenticationMode"] == "Msi" for s in sources)
