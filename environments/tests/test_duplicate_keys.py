"""A file with the same key twice is refused with the file, the key and the line, never read as the last
value silently: environment files, data schemas, rendered ARM templates (ASA project files: streaming/tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from environments.arm.validate import validate_directory
from environments.data_schema import load_data_schema
from environments.errors import ArmValidationError, ConfigError, RenderedFileError
from environments.loader import ENVIRONMENTS_DIR, load_environment
from environments.render import build_dir, render_environment
from environments.unique_keys import DuplicateJsonKeyError, DuplicateYamlKeyError, load_yaml, loads_json
from environments.validate import validate_environment


def test_json_duplicate_names_key_path_and_line() -> None:
    text = '{"resources": [\n  {"name": "a"},\n  {"identity": {},\n   "identity": {"type": "None"}}\n]}'
    with pytest.raises(DuplicateJsonKeyError) as caught:
        loads_json(text)
    assert caught.value.key == "identity"
    assert caught.value.where == "resources[1]"
    assert caught.value.lineno == 4
    assert loads_json('{"a": {"b": 1}, "c": [{"b": 2}]}') == {"a": {"b": 1}, "c": [{"b": 2}]}


def test_yaml_duplicate_is_one_line_naming_key_and_lines() -> None:
    with pytest.raises(DuplicateYamlKeyError) as caught:
        load_yaml("a: 1\nb:\n  c: 2\n  c: 3\n")
    assert str(caught.value) == (
        "line 4, column 3: duplicate key 'c' (first at line 3); "
        "a later value would silently replace the earlier one"
    )
    assert load_yaml("a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n") == {"a": {"b": 1}, "c": {"b": 1, "d": 2}}


def test_environment_file_with_duplicate_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text((ENVIRONMENTS_DIR / "base.yml").read_text())
    local = (ENVIRONMENTS_DIR / "local.yml").read_text()
    (tmp_path / "local.yml").write_text(local + "name: local\n")
    with pytest.raises(ConfigError) as caught:
        load_environment("local", directory=tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "local.yml") in message and "duplicate key 'name'" in message
    assert f"line {local.count(chr(10)) + 1}," in message
    assert "\n" not in message


def test_data_schema_with_duplicate_key_is_refused(tmp_path: Path) -> None:
    schema = tmp_path / "schema.yml"
    schema.write_text("name: s\nname: t\n")
    with pytest.raises(
        ConfigError, match=r"schema\.yml: cannot read: line 2, column 1: duplicate key 'name'"
    ):
        load_data_schema(schema)


def test_rendered_template_with_duplicated_key_fails_validation(tmp_path: Path) -> None:
    render_environment("dev", out=tmp_path)
    templates = [p for p in sorted(tmp_path.rglob("*.json")) if '"identity": {' in p.read_text()]
    assert templates, "expected a rendered template with an identity block"
    template = templates[0]
    text = template.read_text()
    start = text.index('"identity": {')
    line = text.count("\n", 0, start) + 1
    template.write_text(text[:start] + '"identity": {"type": "None"}, ' + text[start:])
    with pytest.raises(ArmValidationError) as caught:
        validate_directory(tmp_path)
    message = str(caught.value)
    assert str(template) in message and "duplicate key 'identity'" in message
    assert f"line {line} " in message


def test_validation_names_every_rendered_file_with_a_duplicated_key(tmp_path: Path) -> None:
    """Not only ARM: a rendered Azure ML YAML or Stream Analytics JSON file with a key twice fails
    `validate` (the step every deploy runs), one line per file naming file, key and line."""
    root = tmp_path / "checkout"
    render_environment("local", out=build_dir("local", root))
    build = build_dir("local", root)
    assert validate_environment("local", root) == []  # local has no ARM templates, and no duplicate
    yml = next(p for p in sorted(build.rglob("*.yml")) if p.read_text().startswith("$schema:"))
    yml.write_text(yml.read_text().replace("$schema:", "name: again\n$schema:", 1) + "name: twice\n")
    [job_config] = sorted(build.rglob("JobConfig.json"))
    job_config.write_text(job_config.read_text().replace("{", '{"DataLocale": "x", ', 1))
    (build / "state").mkdir(exist_ok=True)
    (build / "state" / "written-by-a-deploy.json").write_text('{"a": 1, "a": 2}')  # not rendered: not checked
    with pytest.raises(RenderedFileError) as caught:
        validate_environment("local", root)
    lines = caught.value.problems
    assert len(lines) == 2
    assert any(
        line.startswith(f"{job_config}: duplicate key 'DataLocale' in (root): line ") for line in lines
    )
    assert any(line.startswith(f"{yml}: line ") and "duplicate key 'name'" in line for line in lines)
