"""The resource path an ARM `scope` (or identity key) names, read from a rendered template: pure logic.

Understands what the templates write: a literal resource path (`Microsoft.KeyVault/vaults/kv`),
`[variables('x')]` and `[resourceId('Type/child', 'name', 'child name')]`. Anything else is an error naming
the expression, never a guess.
"""

from __future__ import annotations

import re
from typing import Any

from environments.errors import ArmValidationError

_CALL = re.compile(r"^(\w+)\((.*)\)$", re.DOTALL)
_STRING = re.compile(r"'((?:[^']|'')*)'")


def resource_path(expression: str, variables: dict[str, Any]) -> str:
    """`Microsoft.<Namespace>/<type>/<name>[/<child type>/<child name>...]` for a scope expression."""
    if not (expression.startswith("[") and expression.endswith("]")):
        return expression
    call = _CALL.match(expression[1:-1].strip())
    if not call:
        raise ArmValidationError([f"scope expression {expression!r}: not a function call"])
    function, inner = call.groups()
    args = _STRING.findall(inner)
    if function == "variables" and len(args) == 1:
        if args[0] not in variables:
            raise ArmValidationError([f"scope expression {expression!r}: no variable {args[0]!r}"])
        return resource_path(str(variables[args[0]]), variables)
    if function == "resourceId" and args:
        provider, *types = args[0].split("/")
        names = args[1:]
        if len(types) != len(names):
            raise ArmValidationError([f"{expression!r}: {len(types)} types but {len(names)} names"])
        return "/".join([provider, *(part for pair in zip(types, names, strict=True) for part in pair)])
    raise ArmValidationError([f"scope expression {expression!r}: {function}() is not read here"])
