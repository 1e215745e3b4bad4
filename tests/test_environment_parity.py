"""dev, staging and prod hold an identical set of resources; only names, sizes and counts differ."""

from __future__ import annotations

import json

import pytest

from environments.arm.validate import find_templates
from environments.render import render_environment

AZURE = ("dev", "staging", "prod")


def _resources(template: dict, parent: str = "") -> list[dict]:
    found = []
    for resource in template.get("resources", []):
        found.append({**resource, "type": f"{parent}/{resource['type']}" if parent else resource["type"]})
        found.extend(_resources(resource, resource["type"]))
    return found


def _logical(name: str, env: str) -> str:
    """A resource's name with its environment taken out: `sscore-dev-kv` -> `sscore-{env}-kv`."""
    return name.replace(f"-{env}-", "-{env}-").replace(f"{env}", "{env}")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict]]:
    result = {}
    for env in AZURE:
        out = tmp_path_factory.mktemp(env)
        render_environment(env, out=out)
        result[env] = {path.relative_to(out).as_posix(): template for path, template in find_templates(out)}
    return result


def test_same_templates_in_every_environment(rendered) -> None:
    assert set(rendered["dev"]) == set(rendered["staging"]) == set(rendered["prod"])
    assert rendered["dev"], "no ARM templates rendered"


def test_same_resources_in_every_environment(rendered) -> None:
    def resource_set(env: str) -> set[tuple[str, str, str]]:
        return {
            (path, resource["type"], _logical(str(resource["name"]), env))
            for path, template in rendered[env].items()
            for resource in _resources(template)
        }

    assert resource_set("dev") == resource_set("staging") == resource_set("prod")


def test_environments_differ_in_values(rendered) -> None:
    # Same shape, different per-environment values: prod is sized up from dev somewhere.
    assert rendered["dev"] != rendered["prod"]
    dev_text = json.dumps(rendered["dev"])
    assert "-prod-" not in dev_text
    assert "-dev-" not in json.dumps(rendered["prod"])


def test_same_parameters_in_every_environment(rendered) -> None:
    for path in rendered["dev"]:
        names = [sorted(rendered[env][path].get("parameters", {})) for env in AZURE]
        assert names[0] == names[1] == names[2], path
