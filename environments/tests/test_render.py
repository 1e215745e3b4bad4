"""Rendering: deterministic output, Azure-only folders, undefined variables name template and line."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from environments.errors import RenderError
from environments.loader import ENVIRONMENTS_DIR
from environments.render import render_environment


def _digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.mark.parametrize("name", ["local", "dev"])
def test_render_is_byte_for_byte_deterministic(tmp_path: Path, name: str) -> None:
    first = _digest(render_environment(name, out=tmp_path / "a"))
    second = _digest(render_environment(name, out=tmp_path / "a"))
    assert first == second
    assert first, "nothing rendered"


def test_arm_templates_render_only_for_azure_targets(tmp_path: Path) -> None:
    local = render_environment("local", out=tmp_path / "local")
    dev = render_environment("dev", out=tmp_path / "dev")
    assert not [p for p in local if "arm" in p.parts]
    assert [p for p in dev if "arm" in p.parts]


def _mini_repo(tmp_path: Path, template: str) -> Path:
    shutil.copytree(
        ENVIRONMENTS_DIR, tmp_path / "environments", ignore=shutil.ignore_patterns("templates", "tests")
    )
    folder = tmp_path / "environments" / "templates"
    folder.mkdir()
    (folder / "thing.txt.j2").write_text(template)
    return tmp_path


def test_undefined_variable_names_template_and_line(tmp_path: Path) -> None:
    root = _mini_repo(tmp_path, "line one {{ env.name }}\nline two\nline three {{ env.no_such_key }}\n")
    with pytest.raises(RenderError) as caught:
        render_environment("dev", root=root)
    assert caught.value.template.endswith("environments/templates/thing.txt.j2")
    assert caught.value.line == 3
    assert "no_such_key" in str(caught.value)


def test_syntax_error_names_template_and_line(tmp_path: Path) -> None:
    root = _mini_repo(tmp_path, "ok\n{% if %}\n")
    with pytest.raises(RenderError) as caught:
        render_environment("dev", root=root)
    assert caught.value.line == 2


def test_render_replaces_previous_output(tmp_path: Path) -> None:
    root = _mini_repo(tmp_path, "{{ env.name }}\n")
    stale = root / "build" / "dev" / "environments" / "stale.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    written = render_environment("dev", root=root)
    assert not stale.exists()
    assert [p.read_text() for p in written] == ["dev\n"]


def test_repo_path_keeps_absolute_paths_and_relativises_the_rest(tmp_path: Path) -> None:
    root = _mini_repo(tmp_path, "{{ repo_path('a/b.txt') }} {{ repo_path('/abs/c.txt') }}\n")
    (written,) = render_environment("dev", root=root)
    assert written.read_text() == "../../../a/b.txt /abs/c.txt\n"
