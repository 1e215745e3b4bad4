"""The environments domain's exception tree.

EnvironmentsError
├── ConfigError          an environment file is missing, unreadable or invalid
├── RenderError          a template failed to render (names template and line)
├── ArmValidationError   a rendered ARM template breaks the official schema or a project rule
└── RenderedFileError    a rendered JSON or YAML file has a key twice (read as the last value otherwise)
"""

from __future__ import annotations


class EnvironmentsError(Exception):
    """Root of every error raised by the environments domain."""


class ConfigError(EnvironmentsError):
    """An environment file is invalid; `problems` holds one line per problem."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        super().__init__("\n".join(problems))


class RenderError(EnvironmentsError):
    """A template failed to render."""

    def __init__(self, template: str, line: int | None, reason: str) -> None:
        self.template = template
        self.line = line
        self.reason = reason
        where = f"{template}:{line}" if line else template
        super().__init__(f"{where}: {reason}")


class ArmValidationError(EnvironmentsError):
    """Rendered ARM templates failed validation; `problems` holds one line per finding."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class RenderedFileError(EnvironmentsError):
    """Rendered files that cannot be read as one value per key; `problems` holds one line per finding."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))
