"""Progress of a long loop step, shown from what its process writes to its log as it writes it.

Training, retraining and the drift pipeline take minutes; their commands print what they are doing
(`step train: ...`, `retrain: pipeline: ...`), and the loop shows those lines as they come instead of a
log tail at the end. JSON results, indented continuation lines and SDK HTTP traces are not progress.
"""

from __future__ import annotations

import re
from pathlib import Path

LOGGING_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+ ")
"""`2026-11-30 06:07:03,691 INFO streamscore.monitoring.drift ` (the commands' logging format)."""
SDK_TRACE = (
    "HTTP Request:",
    "Request URL:",
    "Request method:",
    "Request headers:",
    "Response status:",
    "Response headers:",
    "No body was attached",
)
MAX_WIDTH = 160


def progress_line(line: str) -> str | None:
    """What a log line says as progress, or None when it is not progress."""
    if not line.strip() or line[0] in ' \t{}[]"':
        return None
    text = LOGGING_PREFIX.sub("", line.rstrip())
    if text.startswith(SDK_TRACE):
        return None
    return text if len(text) <= MAX_WIDTH else text[: MAX_WIDTH - 3] + "..."


class LogFollower:
    """The complete lines appended to a log file since the previous call (none before it exists)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def new_lines(self) -> list[str]:
        try:
            with self.path.open("rb") as log:
                log.seek(self._offset)
                data = log.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        return [line.decode("utf-8", "replace") for line in lines]
