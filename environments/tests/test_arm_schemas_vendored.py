"""The vendored ARM schemas: exactly what the rendered templates need, read with no network and nothing
beside the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from environments.arm import schema_store, validate_directory
from environments.arm.schema_store import VENDORED, read_schema_file
from environments.arm.schema_vendor import needed_files, refresh, rendered_templates, template_types
from environments.errors import ArmValidationError
from environments.render import render_environment


def _vendored_files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*.json")}


@pytest.fixture
def vendored_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation as on a fresh clone: no $STREAMSCORE_ARM_SCHEMAS, nothing read before."""
    monkeypatch.delenv(schema_store.ENV_VAR, raising=False)
    for cached in (schema_store.provider_schema, schema_store.envelope_schema, schema_store.registry):
        cached.cache_clear()
    yield
    for cached in (schema_store.provider_schema, schema_store.envelope_schema, schema_store.registry):
        cached.cache_clear()


def test_every_schema_a_template_needs_is_vendored_and_nothing_else() -> None:
    types = template_types(rendered_templates())
    assert ("Microsoft.StreamAnalytics/streamingjobs", "2021-10-01-preview") in types
    # A needed file that is missing raises here, naming it and the refresh command.
    needed = needed_files(types, lambda relative: read_schema_file(VENDORED, relative))
    assert _vendored_files(VENDORED) == needed
    assert (VENDORED / "LICENSE").is_file()


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_templates_validate_with_only_the_vendored_schemas(
    vendored_only: None, tmp_path: Path, name: str
) -> None:
    assert schema_store.schema_root() == VENDORED
    render_environment(name, out=tmp_path)
    assert validate_directory(tmp_path)


def test_a_schema_that_is_not_vendored_is_one_line_naming_type_version_and_command(
    vendored_only: None,
) -> None:
    with pytest.raises(ArmValidationError) as caught:
        schema_store.resource_definition("Microsoft.Storage/storageAccounts", "2099-01-01")
    (line,) = caught.value.problems
    assert "Microsoft.Storage/storageAccounts" in line and "2099-01-01" in line
    assert "python -m environments schemas refresh" in line and "\n" not in line


def test_refresh_copies_exactly_the_needed_files_and_drops_stale_ones(tmp_path: Path) -> None:
    source = tmp_path / "upstream"
    shutil.copytree(VENDORED, source)
    (source / "2015-01-01").mkdir()
    (source / "2015-01-01" / "Sendgrid.Email.json").write_text("{}")
    target = tmp_path / "vendored"
    (target / "2000-01-01").mkdir(parents=True)
    (target / "2000-01-01" / "Stale.json").write_text("{}")

    written = refresh(source, target)

    assert set(written) == _vendored_files(VENDORED) == _vendored_files(target)
    assert not (target / "2000-01-01").exists()
    assert (target / "LICENSE").read_text() == (VENDORED / "LICENSE").read_text()


def test_refresh_names_a_type_whose_schema_the_source_lacks(tmp_path: Path) -> None:
    source = tmp_path / "upstream"
    shutil.copytree(VENDORED, source)
    (source / "2024-01-01" / "Microsoft.EventHub.json").unlink()
    with pytest.raises(ArmValidationError, match=r"Microsoft\.EventHub/namespaces at apiVersion 2024-01-01"):
        refresh(source, tmp_path / "vendored")
