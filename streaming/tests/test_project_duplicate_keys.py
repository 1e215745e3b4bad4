"""An ASA project file with the same key twice is refused (file and key), never read as the last value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.render import render_environment
from streaming.runtime.errors import ProjectError
from streaming.runtime.project import load_project


def test_stream_analytics_project_file_with_duplicate_key_is_refused(tmp_path: Path) -> None:
    render_environment("local", out=tmp_path)
    [asaproj] = sorted(tmp_path.rglob("asaproj.json"))
    job_config = asaproj.parent / "JobConfig.json"
    document = json.loads(job_config.read_text())
    key = next(iter(document))
    text = job_config.read_text()
    job_config.write_text(text.replace("{", "{" + json.dumps(key) + ": null, ", 1))
    with pytest.raises(ProjectError, match=f"JobConfig.json: cannot read: duplicate key '{key}'"):
        load_project(asaproj.parent)
