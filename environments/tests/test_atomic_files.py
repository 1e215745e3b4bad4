"""The atomic JSON write every domain uses: old or new file, never half, no temporary left behind."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from environments.atomic_files import write_json_atomically


def test_writes_compact_or_indented_json(tmp_path: Path) -> None:
    compact = write_json_atomically(tmp_path / "sub" / "c.json", {"b": 1, "a": [1, 2]})
    assert compact.read_text(encoding="utf-8") == '{"b":1,"a":[1,2]}'
    indented = write_json_atomically(tmp_path / "i.json", {"b": 1, "a": 2}, indent=2, sort_keys=True)
    assert indented.read_text(encoding="utf-8") == '{\n  "a": 2,\n  "b": 1\n}\n'
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["c.json", "i.json", "sub"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = write_json_atomically(tmp_path / "state.json", {"generation": 1})
    with pytest.raises(TypeError):
        write_json_atomically(path, {"generation": object()})
    assert json.loads(path.read_text(encoding="utf-8")) == {"generation": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_concurrent_writers_never_leave_half_a_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    bodies = [{"writer": n, "padding": "x" * 50_000} for n in range(8)]
    threads = [threading.Thread(target=write_json_atomically, args=(path, body)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert json.loads(path.read_text(encoding="utf-8")) in bodies
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]
