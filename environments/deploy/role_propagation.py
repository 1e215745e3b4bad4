"""Tolerating a new role assignment that has not taken effect yet: a bounded retry of 403s.

Azure Resource Manager caches role assignments: a new one can take up to 10 minutes (30 at management
group scope) to take effect, and until then the principal's calls fail with 403 `AuthorizationFailed`
(https://learn.microsoft.com/azure/role-based-access-control/troubleshooting, "Role assignment changes
are not being detected"). A call that needs a freshly granted role is retried for up to `ROLE_WAIT_S`;
past that, the error names the principal and the role to check, not just "forbidden".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from environments.errors import EnvironmentsError

ROLE_WAIT_S = 600  # the documented propagation delay at resource and resource-group scope
RETRY_EVERY_S = 30
DEPLOY_IDENTITY_VAR = "AZURE_CLIENT_ID"  # the deploy identity's client id, as azure/login sets it

T = TypeVar("T")


class RoleNotInEffectError(EnvironmentsError):
    """A principal still lacks a role after the documented propagation delay."""


def deploy_principal() -> str:
    """The identity apply runs as: the workflow's client id, else whoever `az login` signed in."""
    return os.environ.get(DEPLOY_IDENTITY_VAR) or "the signed-in identity (az login)"


def while_role_propagates(
    call: Callable[[], T],
    *,
    principal: str,
    role: str,
    scope: str,
    sleep: Callable[[float], None],
    wait_s: float = ROLE_WAIT_S,
    every_s: float = RETRY_EVERY_S,
) -> T:
    """`call()`, retried every `every_s` while it fails with 403 AuthorizationFailed, for at most `wait_s`."""
    from azure.core.exceptions import HttpResponseError

    attempts = max(1, int(wait_s // every_s) + 1)
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except HttpResponseError as exc:
            if exc.status_code != 403 or "AuthorizationFailed" not in str(exc):
                raise
            if attempt == attempts:
                raise RoleNotInEffectError(
                    f"{principal} still lacks role '{role}' on {scope} after {attempts} attempts over "
                    f"{wait_s:.0f} s (a new role assignment can take up to 10 minutes to take effect): "
                    f"check the assignment (docs/identities.md), then rerun. Azure said: {str(exc.message).splitlines()[0]}"
                ) from exc
            sleep(every_s)
    raise AssertionError("unreachable")
