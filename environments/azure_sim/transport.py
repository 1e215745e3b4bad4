"""The seam: an azure-core `HttpTransport` that answers every request from a `SimulatedAzure`, in memory."""

from __future__ import annotations

import base64
import json
from typing import Any

import requests
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._requests_basic import RestRequestsTransportResponse

from environments.azure_sim.control_plane import SimulatedAzure


class SimulatedTransport(HttpTransport[Any, RestRequestsTransportResponse]):
    """Pass as `transport=` to any azure-core client; nothing leaves the process."""

    def __init__(self, azure: SimulatedAzure) -> None:
        self.azure = azure

    def __enter__(self) -> SimulatedTransport:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def sleep(self, duration: float) -> None:
        return None  # pollers wait here between polls: no wall-clock time in tests

    def send(self, request: Any, **kwargs: Any) -> RestRequestsTransportResponse:
        content = request.content if hasattr(request, "content") else request.body
        body = json.loads(content) if content else None
        headers = dict(request.headers)
        principal = principal_of(headers.get("Authorization", "").removeprefix("Bearer "))
        reply = self.azure.handle(request.method, request.url, body, headers, principal)
        raw = requests.Response()
        raw.status_code = reply.status
        raw.reason = requests.status_codes._codes.get(reply.status, ("",))[0].upper()
        raw.url = request.url
        raw.headers.update(reply.headers)
        raw._content = b"" if reply.body is None else json.dumps(reply.body).encode()
        if reply.body is not None:
            raw.headers["Content-Type"] = "application/json"
        raw._content_consumed = True
        # azure-core leaves this constructor unannotated (**kwargs only)
        response = RestRequestsTransportResponse(request=request, internal_response=raw)  # type: ignore[no-untyped-call]
        response.read()  # the body is in memory already; some callers (endpoint invoke) read no stream
        return response


SIGNATURE = base64.urlsafe_b64encode(b"simulated").decode().rstrip("=")  # checked by nobody


def _segment(claims: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")


def token_for(principal: str, scope: str) -> str:
    """An unsigned JWT naming the principal (`oid`) and the audience the scope asks for (azure-ai-ml reads
    a token's audience before submitting a job; the simulator checks no signature)."""
    audience = scope.removesuffix("/.default")
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment({'oid': principal, 'aud': audience})}.{SIGNATURE}"


def principal_of(token: str) -> str:
    """The `oid` of a token `token_for` made ('' for any other token)."""
    parts = token.split(".")
    if len(parts) != 3 or parts[2] != SIGNATURE:
        return ""
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    return str(claims.get("oid", ""))


class StaticCredential:
    """A token credential for the simulated control plane: the token names the principal, which the
    simulator reads to delay a new role assignment's effect (it checks no signature)."""

    def __init__(self, principal: str = "deployer") -> None:
        self.principal = principal

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(token_for(self.principal, scopes[0] if scopes else ""), 2**31)

    def get_token_info(self, *scopes: str, **kwargs: Any) -> AccessTokenInfo:
        return AccessTokenInfo(token_for(self.principal, scopes[0] if scopes else ""), 2**31)
