"""The Azure credential every command of this repository signs in with.

In a GitHub Actions job allowed to mint OIDC tokens (`id-token: write`), a
`ClientAssertionCredential` whose assertion is a fresh GitHub ID token, requested each time the
credential needs a new Microsoft Entra token. `azure/login` exchanges one GitHub ID token once, and the
Azure token it obtains cannot be renewed after about an hour (the ID token it was exchanged for has
expired by then: AADSTS700024, https://github.com/Azure/login/issues/180), so a long wait (a training
run, an image build, an endpoint rollout, a Stream Analytics start) signed in that way fails half-way.
`ClientAssertionCredential` "will call [func] every time it acquires a new token"
(https://learn.microsoft.com/python/api/azure-identity/azure.identity.clientassertioncredential), and the
job's request token (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`) mints ID tokens for as long as the job runs
(https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-cloud-providers#using-custom-actions).
Decision 0024.

Anywhere else (a laptop after `az login`, an Azure ML compute instance): `DefaultAzureCredential`.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from environments.errors import EnvironmentsError

REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
CLIENT_ID = "AZURE_CLIENT_ID"
TENANT_ID = "AZURE_TENANT_ID"
# The audience Microsoft Entra expects of a federated credential's assertion (azure/login's default).
AZURE_AUDIENCE = "api://AzureADTokenExchange"
TIMEOUT_SECONDS = 30


class GitHubTokenError(EnvironmentsError):
    """The GitHub Actions token endpoint did not give an ID token; names the variable or the response."""


def github_id_token(environ: Mapping[str, str] = os.environ, audience: str = AZURE_AUDIENCE) -> str:
    """A new GitHub Actions OIDC ID token for `audience` (GET the request URL with the job's request
    token as bearer; the answer is `{"value": "<jwt>"}`)."""
    url, token = environ.get(REQUEST_URL), environ.get(REQUEST_TOKEN)
    if not url or not token:
        missing = REQUEST_URL if not url else REQUEST_TOKEN
        raise GitHubTokenError(f"{missing} is not set: the job needs `permissions: id-token: write`")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise GitHubTokenError(f"{REQUEST_URL} is not an http(s) URL (scheme {parts.scheme!r})")
    separator = "&" if parts.query else "?"
    request = urllib.request.Request(
        f"{url}{separator}audience={urllib.parse.quote(audience, safe='')}",
        headers={"Authorization": f"bearer {token}", "Accept": "application/json"},
    )
    where = f"GitHub OIDC token endpoint ({REQUEST_URL})"
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise GitHubTokenError(f"{where} answered {exc.code}: {exc.read()[:300]!r}") from exc
    except OSError as exc:
        raise GitHubTokenError(f"{where} unreachable: {exc}") from exc
    try:
        value = json.loads(body)["value"]
    except (ValueError, KeyError, TypeError) as exc:
        raise GitHubTokenError(f"{where} answered without a `value` field ({len(body)} bytes)") from exc
    if not isinstance(value, str) or not value:
        raise GitHubTokenError(f"{where} answered an empty `value`")
    return value


def in_github_oidc_job(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process runs in a GitHub Actions job that may mint OIDC tokens."""
    return bool(environ.get(REQUEST_URL))


def azure_credential(environ: Mapping[str, str] = os.environ) -> Any:
    """The credential of the current place: GitHub's refreshing federated sign-in in a workflow job with
    `id-token: write`, else `DefaultAzureCredential`."""
    if not in_github_oidc_job(environ):
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential()
    from azure.identity import ClientAssertionCredential

    missing = [name for name in (CLIENT_ID, TENANT_ID) if not environ.get(name)]
    if missing:
        raise GitHubTokenError(
            f"{' and '.join(missing)} not set: a workflow job that signs in to Azure sets them from the "
            "GitHub Environment's variables (docs/identities.md)"
        )
    return ClientAssertionCredential(
        environ[TENANT_ID], environ[CLIENT_ID], func=lambda: github_id_token(environ)
    )
