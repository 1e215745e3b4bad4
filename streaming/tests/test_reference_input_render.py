"""The blob reference input, declared once in `stream_analytics.reference_data` and rendered into the ARM
job, the VS Code project and the storage containers; absent by default (the shipped query joins nothing).

Rules checked against "Use reference data for lookups in Stream Analytics" (MicrosoftDocs/azure-docs
articles/stream-analytics/stream-analytics-use-reference-data.md): a path pattern locates the blobs in one
container, `{date}`/`{time}` tokens with a date format and a time format refresh it, CSV or JSON, UTF-8.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.streamanalytics.models import BlobReferenceInputDataSource, CsvSerialization, StreamingJob

from environments.arm import validate_directory
from environments.errors import ConfigError
from environments.loader import OVERRIDES_VARIABLE, load_environment
from environments.render import render_environment
from streaming import render_context
from streaming.querytest import compile_project, load_project

READER_ROLE = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
"""Storage Blob Data Reader (built-in role id)."""
REFERENCE = {
    "alias": "merchants",
    "container": "reference-data",
    "path_pattern": "merchants/{date}/{time}/merchants.csv",
    "serialization": "Csv",
}


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, Any]) -> None:
    overrides = tmp_path / "overrides.yml"
    overrides.write_text(json.dumps({"stream_analytics": {"reference_data": reference}}))
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(overrides))


def _job(out: Path) -> dict[str, Any]:
    template = _read(out / "streaming" / "arm" / "stream-job.json")
    return next(r for r in template["resources"] if r["type"] == "Microsoft.StreamAnalytics/streamingjobs")


@pytest.mark.parametrize("name", ["local", "dev", "prod"])
def test_no_reference_input_unless_configured(tmp_path: Path, name: str) -> None:
    render_environment(name, out=tmp_path)
    asa = tmp_path / "streaming" / "asa"
    assert compile_project(load_project(asa / "asaproj.json")).references == ()
    assert not (asa / "Inputs" / render_context.REFERENCE_INPUT_FILE).exists()
    assert all("reference" not in e["filePath"] for e in _read(asa / "asaproj.json")["configurations"])
    if name != "local":
        assert [i["properties"]["type"] for i in _job(tmp_path)["properties"]["inputs"]] == ["Stream"]
        assert READER_ROLE not in (tmp_path / "streaming" / "arm" / "stream-job.json").read_text()


@pytest.fixture
def rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _override(tmp_path, monkeypatch, REFERENCE)
    out = tmp_path / "out"
    render_environment("dev", out=out)
    return out


def test_arm_reference_input_is_schema_valid_and_round_trips(rendered: Path) -> None:
    assert "stream-job.json" in {p.name for p in validate_directory(rendered / "streaming" / "arm")}
    assert "shared-infra.json" in {p.name for p in validate_directory(rendered / "environments" / "arm")}
    job = _job(rendered)
    body = {k: v for k, v in job.items() if k not in ("type", "apiVersion", "name", "dependsOn")}
    model = StreamingJob.deserialize(copy.deepcopy(body))
    reference = next(i for i in model.inputs if i.name == "merchants")
    assert isinstance(reference.properties.datasource, BlobReferenceInputDataSource)
    assert isinstance(reference.properties.serialization, CsvSerialization)
    assert model.serialize() == body, "a key the SDK models do not know would be dropped by the service"


def test_arm_reference_input_reads_with_the_job_identity(rendered: Path) -> None:
    (_stream, reference) = _job(rendered)["properties"]["inputs"]
    assert reference["name"] == "merchants" and reference["properties"]["type"] == "Reference"
    source = reference["properties"]["datasource"]
    assert source["type"] == "Microsoft.Storage/Blob"
    props = source["properties"]
    assert props["container"] == "reference-data"
    assert props["pathPattern"] == "merchants/{date}/{time}/merchants.csv"
    assert (props["dateFormat"], props["timeFormat"]) == ("yyyy/MM/dd", "HH-mm")
    assert props["authenticationMode"] == "Msi"
    assert props["storageAccounts"] == [{"accountName": "sscoredevst", "authenticationMode": "Msi"}]
    assert "accountKey" not in json.dumps(reference)
    assert reference["properties"]["serialization"] == {
        "type": "Csv",
        "properties": {"encoding": "UTF8", "fieldDelimiter": ","},
    }


def test_the_job_identity_reads_only_the_reference_container(rendered: Path) -> None:
    template = _read(rendered / "streaming" / "arm" / "stream-job.json")
    assert READER_ROLE in template["variables"]["storageBlobDataReader"]
    readers = [
        r
        for r in template["resources"]
        if r["type"] == "Microsoft.Authorization/roleAssignments"
        and r["properties"]["roleDefinitionId"] == "[variables('storageBlobDataReader')]"
    ]
    assert [r["scope"] for r in readers] == [
        "Microsoft.Storage/storageAccounts/sscoredevst/blobServices/default/containers/reference-data"
    ]
    shared = _read(rendered / "environments" / "arm" / "shared-infra.json")
    containers = [r["name"] for r in shared["resources"] if r["type"].endswith("/containers")]
    assert "sscoredevst/default/reference-data" in containers


def test_vs_code_project_lists_the_reference_input(rendered: Path) -> None:
    asa = rendered / "streaming" / "asa"
    entry = {"filePath": f"Inputs/{render_context.REFERENCE_INPUT_FILE}", "subType": "Input"}
    assert entry in _read(asa / "asaproj.json")["configurations"]
    document = _read(asa / "Inputs" / render_context.REFERENCE_INPUT_FILE)
    assert document["Name"] == "merchants" and document["Type"] == "Reference Data"
    assert document["BlobStorageProperties"]["AuthenticationMode"] == "Msi"
    # the keys of a real VS Code blob input file (molowe1/dp203-aeh-sa Inputs/insightMetrics.json)
    assert document["BlobStorageProperties"]["StorageAccounts"] == [
        {"AccountName": "sscoredevst", "AccountKey": None}
    ]
    assert document["BlobStorageProperties"]["PathPattern"] == REFERENCE["path_pattern"]
    assert document["Serialization"] == {"Type": "Csv", "Encoding": "UTF8", "FieldDelimiter": ","}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"alias": "Transactions"}, "already an input or output of the job"),
        ({"path_pattern": "/merchants/{date}.csv"}, "path_pattern"),
        ({"path_pattern": "merchants/{hour}/m.csv"}, "path_pattern"),
        ({"time_format": "HH:mm"}, "time_format"),
        ({"serialization": "Avro"}, "serialization"),
    ],
)
def test_a_reference_input_the_service_refuses_fails_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, str], message: str
) -> None:
    _override(tmp_path, monkeypatch, {**REFERENCE, **change})
    with pytest.raises(ConfigError, match=message):
        load_environment("dev")
