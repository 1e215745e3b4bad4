"""Environment files: every shipped file loads; bad files fail with one line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from environments.errors import ConfigError
from environments.loader import ENVIRONMENTS_DIR, environment_names, load_environment


def _copy_base(tmp_path: Path) -> Path:
    (tmp_path / "base.yml").write_text((ENVIRONMENTS_DIR / "base.yml").read_text())
    (tmp_path / "schemas").mkdir()
    for schema in (ENVIRONMENTS_DIR / "schemas").glob("*.yml"):
        (tmp_path / "schemas" / schema.name).write_text(schema.read_text())
    return tmp_path


def _write_env(tmp_path: Path, body: str) -> Path:
    _copy_base(tmp_path)
    (tmp_path / "dev.yml").write_text(body)
    return tmp_path


VALID_DEV = """\
extends: base.yml
name: dev
target: azure
azure:
  subscription_id: env:AZURE_SUBSCRIPTION_ID
  tenant_id: env:AZURE_TENANT_ID
  client_id: env:AZURE_CLIENT_ID
  resource_group: rg-x
"""


@pytest.mark.parametrize("name", ["local", "dev", "staging", "prod"])
def test_shipped_environments_load(name: str) -> None:
    env = load_environment(name)
    assert env.name == name
    assert (env.target == "local") == (name == "local")


def test_environment_names_lists_deployable_files_only() -> None:
    assert environment_names() == ["dev", "local", "prod", "staging"]


def test_valid_override_file_loads(tmp_path: Path) -> None:
    env = load_environment("dev", _write_env(tmp_path, VALID_DEV))
    assert env.azure is not None and env.azure.resource_group == "rg-x"


def test_each_problem_is_one_line_naming_file_key_and_reason(tmp_path: Path) -> None:
    body = (
        VALID_DEV
        + "endpoint:\n  instance_count: many\n  colour: blue\nstream_analytics:\n  function_batch_size: 20000\n"
    )
    folder = _write_env(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_environment("dev", folder)
    problems = caught.value.problems
    assert len(problems) == 3, problems
    dev = str(folder / "dev.yml")
    assert any(p.startswith(f"{dev}: endpoint.instance_count:") and "integer" in p for p in problems)
    assert any(p.startswith(f"{dev}: endpoint.colour: unknown key") for p in problems)
    assert any(
        p.startswith(f"{dev}: stream_analytics.function_batch_size:") and "10000" in p for p in problems
    )


def test_missing_key_names_the_key(tmp_path: Path) -> None:
    folder = _copy_base(tmp_path)
    base = (folder / "base.yml").read_text().replace("  partitions: 4\n", "")
    (folder / "base.yml").write_text(base)
    (folder / "dev.yml").write_text(VALID_DEV)
    with pytest.raises(ConfigError) as caught:
        load_environment("dev", folder)
    assert caught.value.problems == [f"{folder / 'dev.yml'}: event_hubs.partitions: required key is missing"]


def test_problem_in_base_names_the_base_file(tmp_path: Path) -> None:
    folder = _copy_base(tmp_path)
    base = (folder / "base.yml").read_text().replace("  partitions: 4\n", "  partitions: four\n")
    (folder / "base.yml").write_text(base)
    (folder / "dev.yml").write_text(VALID_DEV)
    with pytest.raises(ConfigError) as caught:
        load_environment("dev", folder)
    assert caught.value.problems[0].startswith(f"{folder / 'base.yml'}: event_hubs.partitions:")


def test_literal_secret_is_refused(tmp_path: Path) -> None:
    folder = _write_env(tmp_path, VALID_DEV + "github:\n  dispatch_token: ghp_abcdef123456\n")
    with pytest.raises(ConfigError) as caught:
        load_environment("dev", folder)
    (problem,) = caught.value.problems
    assert "github.dispatch_token" in problem and "secrets never live in environment files" in problem
    assert "ghp_abcdef123456" not in problem


def test_azure_target_needs_azure_section(tmp_path: Path) -> None:
    folder = _write_env(tmp_path, "extends: base.yml\nname: dev\ntarget: azure\n")
    with pytest.raises(ConfigError) as caught:
        load_environment("dev", folder)
    assert "needs an 'azure' section" in caught.value.problems[0]


def test_name_must_match_file(tmp_path: Path) -> None:
    folder = _write_env(tmp_path, VALID_DEV.replace("name: dev", "name: prod"))
    with pytest.raises(ConfigError, match="must equal the file name 'dev'"):
        load_environment("dev", folder)


def test_unknown_environment_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"known: dev, local, prod, staging"):
        load_environment("qa")


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("extends: b.yml\n")
    (tmp_path / "b.yml").write_text("extends: a.yml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_environment("a", tmp_path)


def test_yaml_syntax_error_names_file(tmp_path: Path) -> None:
    (tmp_path / "dev.yml").write_text("name: [dev\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_environment("dev", tmp_path)


def test_data_schema_loads_for_every_environment() -> None:
    schema = load_environment("local").data_schema()
    assert "amount" in schema.feature_names
    assert schema.feature("merchant_category").categories


def test_overrides_file_is_merged_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overrides = tmp_path / "overrides.yml"
    overrides.write_text("local:\n  collector_port: 23456\n")
    monkeypatch.setenv("STREAMSCORE_OVERRIDES", str(overrides))
    assert load_environment("local").local.collector_port == 23456


def test_bad_override_names_the_override_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overrides = tmp_path / "overrides.yml"
    overrides.write_text("local:\n  collector_port: high\n")
    monkeypatch.setenv("STREAMSCORE_OVERRIDES", str(overrides))
    with pytest.raises(ConfigError) as caught:
        load_environment("local")
    assert caught.value.problems[0].startswith(f"{overrides}: local.collector_port:")


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("tags", {"owner": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc=="}),
        ("tags", {"sb": "Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=abc="}),
        ("tags", {"sas": "https://a.blob.core.windows.net/c?sv=2022-11-02&sig=abc%3D"}),
        ("tags", {"ai": "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=x"}),
        ("location", "https://user:hunter2@example.com/"),
    ],
)
def test_secret_looking_value_is_refused_with_file_and_key_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, value: object
) -> None:
    overrides = tmp_path / "overrides.yml"
    overrides.write_text(yaml.safe_dump({where: value}))
    monkeypatch.setenv("STREAMSCORE_OVERRIDES", str(overrides))
    with pytest.raises(ConfigError) as caught:
        load_environment("local")
    key = where + (f".{next(iter(value))}" if isinstance(value, dict) else "")
    assert len(caught.value.problems) == 1
    line = caught.value.problems[0]
    assert line.startswith(f"{overrides}: {key}: looks like ")
    assert "env:VARIABLE_NAME" in line
    secret = value if isinstance(value, str) else next(iter(value.values()))
    assert secret not in line  # the error never repeats the secret


def test_committed_environment_files_hold_no_secret_looking_value() -> None:
    for name in ("local", "dev", "staging", "prod"):
        load_environment(name)
