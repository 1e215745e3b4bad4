"""The dev container: `devcontainer.json` is valid JSON, gives Python 3.11 and Node.js 20, and prepares
the repository with exactly the README's command through the README's launcher (`tools/nox.py`)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = "python3 tools/nox.py"


def _config() -> dict:
    return json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text(encoding="utf-8"))


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Dev container\n", 1)[1].split("\n## ", 1)[0]


def test_post_create_command_is_the_readme_command_through_the_launcher() -> None:
    command = _config()["postCreateCommand"]
    assert isinstance(command, str)
    assert command.startswith(f"{LAUNCHER} "), command
    assert re.findall(r"^    (python3 tools/nox\.py .+)$", _readme_section(), re.MULTILINE) == [command]


def test_post_create_command_names_sessions_the_noxfile_defines() -> None:
    words = shlex.split(_config()["postCreateCommand"])
    sessions = words[words.index("-s") + 1 :]
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    defined = set(re.findall(r'@nox\.session\(name="([\w-]+)"\)', noxfile)) | set(
        re.findall(r"@nox\.session\ndef (\w+)\(", noxfile)
    )
    assert sessions and set(sessions) <= defined, (sessions, defined)
    assert "deploy-local" in sessions


def test_python_and_node_versions_match_the_readme_prerequisites() -> None:
    config = _config()
    assert re.search(r"python:\S*3\.11", config["image"]), config["image"]
    assert config["features"]["ghcr.io/devcontainers/features/node:1"]["version"] == "20"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Python 3.11+, Node.js 20" in readme
