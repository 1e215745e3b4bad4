"""ARM validation against the official schemas: shipped templates pass, real mistakes are caught."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from environments.arm import schema_store, validate_directory
from environments.arm.validate import validate_template
from environments.errors import ArmValidationError
from environments.render import render_environment


@pytest.fixture(scope="module")
def shared_infra(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("dev")
    render_environment("dev", out=out)
    return json.loads((out / "environments" / "arm" / "shared-infra.json").read_text())


def _resource(template: dict, resource_type: str) -> dict:
    return next(r for r in template["resources"] if r["type"] == resource_type)


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_rendered_templates_are_valid(tmp_path: Path, name: str) -> None:
    render_environment(name, out=tmp_path)
    checked = validate_directory(tmp_path)
    assert any(p.name == "shared-infra.json" for p in checked)


def test_storage_has_secure_defaults(shared_infra: dict) -> None:
    props = _resource(shared_infra, "Microsoft.Storage/storageAccounts")["properties"]
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["allowBlobPublicAccess"] is False
    assert props["allowSharedKeyAccess"] is False
    assert (
        _resource(shared_infra, "Microsoft.KeyVault/vaults")["properties"]["enableRbacAuthorization"] is True
    )


def _problems_after(template: dict, change) -> list[str]:
    broken = copy.deepcopy(template)
    change(broken)
    return validate_template(broken)


def test_misspelled_property_is_caught(shared_infra: dict) -> None:
    def change(t: dict) -> None:
        _resource(t, "Microsoft.Storage/storageAccounts")["properties"]["allowBlobPublicAcess"] = False

    (problem,) = _problems_after(shared_infra, change)
    assert "Microsoft.Storage/storageAccounts" in problem
    assert "$.properties" in problem and "allowBlobPublicAcess" in problem


def test_bad_enum_value_names_json_path(shared_infra: dict) -> None:
    def change(t: dict) -> None:
        _resource(t, "Microsoft.Storage/storageAccounts")["properties"]["minimumTlsVersion"] = "TLS1_9"

    (problem,) = _problems_after(shared_infra, change)
    assert "$.properties.minimumTlsVersion" in problem and "TLS1_9" in problem


def test_nested_child_resource_is_validated(shared_infra: dict) -> None:
    def change(t: dict) -> None:
        _resource(t, "Microsoft.Storage/storageAccounts")["resources"][0]["properties"][
            "deleteRetention"
        ] = {}

    (problem,) = _problems_after(shared_infra, change)
    assert "resources[" in problem and "blobServices" in problem and "deleteRetention" in problem


def test_wrong_type_is_caught(shared_infra: dict) -> None:
    def change(t: dict) -> None:
        _resource(t, "Microsoft.OperationalInsights/workspaces")["properties"]["retentionInDays"] = "thirty"

    (problem,) = _problems_after(shared_infra, change)
    assert "retentionInDays" in problem and "integer" in problem


def test_api_version_without_schema_is_reported(shared_infra: dict) -> None:
    def change(t: dict) -> None:
        _resource(t, "Microsoft.KeyVault/vaults")["apiVersion"] = "2011-01-01"

    (problem,) = _problems_after(shared_infra, change)
    assert "Microsoft.KeyVault/vaults" in problem and "2011-01-01" in problem


def test_expression_api_version_is_refused(shared_infra: dict) -> None:
    def change(t: dict) -> None:
        _resource(t, "Microsoft.KeyVault/vaults")["apiVersion"] = "[variables('v')]"

    (problem,) = _problems_after(shared_infra, change)
    assert "apiVersion must be a literal" in problem


def test_expressions_are_accepted_where_schema_allows(shared_infra: dict) -> None:
    def change(t: dict) -> None:
        _resource(t, "Microsoft.OperationalInsights/workspaces")["properties"]["retentionInDays"] = (
            "[variables('d')]"
        )

    assert _problems_after(shared_infra, change) == []


def test_parameter_rules(shared_infra: dict) -> None:
    def change(t: dict) -> None:
        t["parameters"]["apiKey"] = {"type": "securestring", "defaultValue": "x"}
        t["resources"][0]["tags"] = {"owner": "[parameters('owner')]"}

    problems = _problems_after(shared_infra, change)
    assert "parameters.apiKey: declared but never used" in problems
    assert "parameters('owner'): used but not declared" in problems
    assert "parameters.apiKey: a securestring parameter must not have a default value" in problems
    assert "parameters.apiKey: needs metadata.description" in problems


def test_envelope_is_validated(shared_infra: dict) -> None:
    def change(t: dict) -> None:
        t["contentVersion"] = "1.0"

    (problem,) = _problems_after(shared_infra, change)
    assert problem.startswith("(template) $.contentVersion")


def test_parameter_file_must_match_template(tmp_path: Path) -> None:
    render_environment("dev", out=tmp_path)
    params = tmp_path / "environments" / "arm" / "shared-infra.parameters.json"
    document = json.loads(params.read_text())
    document["parameters"]["colour"] = {"value": "blue"}
    params.write_text(json.dumps(document))
    with pytest.raises(ArmValidationError) as caught:
        validate_directory(tmp_path)
    assert any("parameters.colour: not declared by the template" in p for p in caught.value.problems)


def test_missing_schema_folder_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(schema_store.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(ArmValidationError, match="not a folder of ARM schemas"):
        schema_store.schema_root()
