"""One atomic JSON write for every domain: a reader sees the old file or the new one, never half of one.

Standard library only: the scoring code folder ships this module (`ml/serving/code_folder.py`), where
several server workers publish the same files at once.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any


def write_json_atomically(
    path: Path, body: Any, *, indent: int | None = None, sort_keys: bool = False
) -> Path:
    """Write `body` as JSON to `path`: a temporary file beside it (unique per writer), flushed to disk,
    then renamed over `path`. `indent` None writes compact JSON; otherwise indented with a final newline.

    Raises OSError (naming the file the operating system names); the temporary file never stays behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if indent is None:
        text = json.dumps(body, separators=(",", ":"), sort_keys=sort_keys)
    else:
        text = json.dumps(body, indent=indent, sort_keys=sort_keys) + "\n"
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with temporary.open("x", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
