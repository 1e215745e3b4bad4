"""GitHub `repository_dispatch` (event type `retrain`): what the Azure Logic App sends, as Python.

`POST https://api.github.com/repos/{owner}/{repo}/dispatches` with
``{"event_type": "retrain", "client_payload": {"environment", "model", "metrics"}}``; GitHub answers 204.
Built offline by `dispatch_request` (tested), sent by `send_dispatch` through an `httpx.Client`, whose
transport is the seam tests replace with `httpx.MockTransport`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import httpx

from monitoring.retrain.errors import DispatchError

GITHUB_API = "https://api.github.com"
EVENT_TYPE = "retrain"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# GitHub caps client_payload at 10 top-level properties; metrics travel as one list.
MAX_METRICS = 50


def dispatch_request(
    repository: str, token: str, environment: str, model: str, metrics: list[Mapping[str, Any]]
) -> httpx.Request:
    """The repository_dispatch request that starts the retrain workflow."""
    if not _REPOSITORY.match(repository):
        raise DispatchError(f"repository {repository!r} is not 'owner/name'")
    if not token:
        raise DispatchError("no GitHub token for the repository_dispatch request")
    body = {
        "event_type": EVENT_TYPE,
        "client_payload": {
            "environment": environment,
            "model": model,
            "metrics": [dict(m) for m in metrics[:MAX_METRICS]],
        },
    }
    return httpx.Request(
        "POST",
        f"{GITHUB_API}/repos/{repository}/dispatches",
        json=body,
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "streamscore-retrain",
        },
    )


def token_from_reference(reference: str, environ: Mapping[str, str] = os.environ) -> str:
    """The token behind an environment file's `env:NAME` reference (Key Vault ones are read in Azure)."""
    if reference.startswith("env:"):
        name = reference[4:]
        if not environ.get(name):
            raise DispatchError(f"environment variable {name} (github.dispatch_token) is not set")
        return environ[name]
    raise DispatchError(
        f"github.dispatch_token {reference!r} lives in Key Vault: ARM gives it to the retrain Logic App when it deploys; "
        "to dispatch from here, use an 'env:NAME' reference"
    )


def send_dispatch(request: httpx.Request, client: httpx.Client) -> None:
    """Send the request; anything but 204 is an error naming the status and GitHub's message."""
    try:
        response = client.send(request)
    except httpx.HTTPError as exc:
        raise DispatchError(f"{request.method} {request.url}: {exc}") from exc
    if response.status_code != 204:
        raise DispatchError(
            f"{request.method} {request.url}: GitHub answered {response.status_code}: {response.text[:500]}"
        )
