"""A workflow's Azure sign-in outlives its first token: when the Azure token expires, the credential asks
GitHub's token endpoint for a new ID token and exchanges that one (decision 0024).

Two loopback servers stand in for GitHub's OIDC token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`, HTTP)
and Microsoft Entra's token endpoint (`AZURE_AUTHORITY_HOST`, HTTPS with a throw-away certificate:
azure-identity accepts only an https authority). Entra refuses an ID token past its `exp` with
AADSTS700024, as it does after an hour (https://github.com/Azure/login/issues/180); a shared test
clock says when "an hour has passed", and Entra's access tokens expire at once so that azure-identity
asks for a new one on the next call (real HTTP, azure-identity unchanged)."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential, DefaultAzureCredential

from environments.azure_credential import AZURE_AUDIENCE, GitHubTokenError, azure_credential, github_id_token

ARM_SCOPE = "https://management.azure.com/.default"
REQUEST_TOKEN = "job-request-token"
TENANT = "00000000-0000-0000-0000-0000000000aa"
CLIENT = "00000000-0000-0000-0000-0000000000bb"
ID_TOKEN_LIFE = 300  # seconds of the test clock an ID token stays valid


@dataclass
class Issuer:
    """GitHub's and Entra's shared view: the test clock, the ID tokens issued and what was exchanged."""

    now: int = 0
    id_tokens: dict[str, int] = field(default_factory=dict)  # token -> exp (test clock)
    github_requests: list[dict[str, str]] = field(default_factory=list)
    exchanged: list[str] = field(default_factory=list)  # assertions Entra accepted, in order


@contextmanager
def _serve(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _answer(handler: BaseHTTPRequestHandler, status: int, body: dict[str, object]) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _github_handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class GitHubTokenEndpoint(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            issuer.github_requests.append(query)
            if self.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
                _answer(self, 401, {"message": "Bad credentials"})
                return
            token = f"github-id-token-{len(issuer.id_tokens) + 1}-aud-{query.get('audience')}"
            issuer.id_tokens[token] = issuer.now + ID_TOKEN_LIFE
            _answer(self, 200, {"count": 1, "value": token})

        def log_message(self, *args: object) -> None:
            pass

    return GitHubTokenEndpoint


def _entra_handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class EntraTokenEndpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
            assertion = form.get("client_assertion", "")
            expires = issuer.id_tokens.get(assertion)
            if self.path != f"/{TENANT}/oauth2/v2.0/token" or form.get("client_id") != CLIENT:
                _answer(
                    self, 400, {"error": "invalid_request", "error_description": f"AADSTS900023: {self.path}"}
                )
            elif expires is None or not assertion.endswith(f"-aud-{AZURE_AUDIENCE}"):
                _answer(
                    self, 401, {"error": "invalid_client", "error_description": "AADSTS700211: no issuer"}
                )
            elif issuer.now >= expires:
                description = "AADSTS700024: Client assertion is not within its valid time range."
                _answer(self, 400, {"error": "invalid_client", "error_description": description})
            else:
                issuer.exchanged.append(assertion)
                # Expires at once: the next call needs a new one, as an hour later.
                token = f"azure-access-token-{len(issuer.exchanged)}"
                _answer(self, 200, {"token_type": "Bearer", "expires_in": 0, "access_token": token})

        def log_message(self, *args: object) -> None:
            pass

    return EntraTokenEndpoint


def _loopback_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (Entra's stand-in must speak https)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "entra.pem", folder / "entra.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture
def github(issuer: Issuer) -> Iterator[str]:
    """GitHub's token endpoint; its URL as the runner gives it (with `api-version` already in the query)."""
    with _serve(ThreadingHTTPServer(("127.0.0.1", 0), _github_handler(issuer))) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/_apis/distributedtask/token?api-version=2.0"


@pytest.fixture
def entra(issuer: Issuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Entra's token endpoint over https, made the authority through azure-identity's own variable."""
    cert_path, key_path = _loopback_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _entra_handler(issuer))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with _serve(server) as running:
        authority = f"https://127.0.0.1:{running.server_address[1]}"
        monkeypatch.setenv("AZURE_AUTHORITY_HOST", authority)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_path))  # requests trusts the throw-away certificate
        monkeypatch.delenv("HTTPS_PROXY", raising=False)
        monkeypatch.delenv("https_proxy", raising=False)
        yield authority


def _job(github: str) -> dict[str, str]:
    """The variables a GitHub Actions job with `id-token: write` and deploy.yml's `env:` has."""
    return {
        "ACTIONS_ID_TOKEN_REQUEST_URL": github,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_TENANT_ID": TENANT,
    }


def test_a_new_github_id_token_is_exchanged_when_the_azure_token_expires(
    issuer: Issuer, github: str, entra: str
) -> None:
    credential = azure_credential(_job(github))
    first = credential.get_token(ARM_SCOPE)
    issuer.now += 3600  # an hour later: the first ID token is past its exp, the Azure token expired
    second = credential.get_token(ARM_SCOPE)

    assert first.token == "azure-access-token-1" and second.token == "azure-access-token-2"
    assert len(issuer.github_requests) == 2, "one ID token per Azure token"
    assert all(r == {"api-version": "2.0", "audience": AZURE_AUDIENCE} for r in issuer.github_requests)
    assert issuer.exchanged == list(issuer.id_tokens), "each Azure token from its own, fresh ID token"


def test_one_id_token_exchanged_once_fails_after_an_hour(issuer: Issuer, github: str, entra: str) -> None:
    """What a single `azure/login` amounts to: the same assertion again, refused once it expired."""
    id_token = github_id_token(_job(github))
    credential = ClientAssertionCredential(TENANT, CLIENT, func=lambda: id_token)
    credential.get_token(ARM_SCOPE)
    issuer.now += 3600
    with pytest.raises(ClientAuthenticationError, match="AADSTS700024"):
        credential.get_token(ARM_SCOPE)


def test_a_refused_request_token_names_the_endpoint_and_status(github: str) -> None:
    job = {**_job(github), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "not-the-jobs"}
    with pytest.raises(GitHubTokenError, match=r"ACTIONS_ID_TOKEN_REQUEST_URL\) answered 401"):
        github_id_token(job)


def test_a_job_without_its_azure_ids_is_refused_naming_them(github: str) -> None:
    job = {key: value for key, value in _job(github).items() if key != "AZURE_TENANT_ID"}
    with pytest.raises(GitHubTokenError, match="AZURE_TENANT_ID not set"):
        azure_credential(job)


def test_outside_a_github_oidc_job_the_default_credential_signs_in() -> None:
    """A laptop (`az login`) or a compute instance: no request URL, DefaultAzureCredential."""
    assert isinstance(azure_credential({"AZURE_CLIENT_ID": CLIENT}), DefaultAzureCredential)


def test_a_request_url_that_is_not_http_is_refused_before_opening_it(tmp_path: Path) -> None:
    job = {**_job("x"), "ACTIONS_ID_TOKEN_REQUEST_URL": (tmp_path / "token").as_uri()}
    with pytest.raises(GitHubTokenError, match="not an http\\(s\\) URL \\(scheme 'file'\\)"):
        github_id_token(job)
