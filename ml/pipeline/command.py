"""Turn a component's `command` into an argument list with its inputs and outputs filled in.

Azure ML substitutes `${{inputs.x}}` and `${{outputs.y}}` on the compute node; the local runner does the
same here. The command is split first, so a path with spaces stays one argument.
"""

from __future__ import annotations

import re
import shlex
import sys
from typing import Any

from ml.pipeline.errors import PipelineDefinitionError
from ml.pipeline.graph import Component

_REFERENCE = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_]\w*)\s*\}\}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def render_command(component: Component, inputs: dict[str, Any], outputs: dict[str, Any]) -> list[str]:
    """The argv of the component's command; `python` is this interpreter, as the environment's python."""

    def substitute(match: re.Match[str]) -> str:
        kind, name = match.groups()
        values = inputs if kind == "inputs" else outputs
        declared = component.inputs if kind == "inputs" else component.outputs
        if name not in declared:
            raise PipelineDefinitionError(
                component.path, "command", f"{match.group(0)} is not a declared {kind[:-1]}"
            )
        if name not in values or values[name] is None:
            raise PipelineDefinitionError(component.path, f"{kind}.{name}", "no value bound and no default")
        return _text(values[name])

    try:
        tokens = shlex.split(component.command)
    except ValueError as exc:
        raise PipelineDefinitionError(component.path, "command", f"cannot split: {exc}") from exc
    argv = [_REFERENCE.sub(substitute, token) for token in tokens]
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv
