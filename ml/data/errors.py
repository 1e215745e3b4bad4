"""Errors of the data package.

DataError
 ├── DataFileError        the file cannot be read (missing, wrong format, unreadable)
 └── DataValidationError  the file is readable but breaks the schema; lists every problem found
"""

from __future__ import annotations

from pathlib import Path

from ml.errors import MLError


class DataError(MLError):
    """Root of every data error."""


class DataFileError(DataError):
    """A data file cannot be read; names the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class DataValidationError(DataError):
    """A data file breaks the schema; each problem names the file, the column, the row and the reason."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) against the data schema:\n{shown}")
