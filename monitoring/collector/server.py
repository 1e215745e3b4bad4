"""HTTP front of the collector: ingestion like the Application Insights service, and the query API.

Not an open door: ingestion keeps only envelopes for this collector's instrumentation key (so nobody
else can plant, say, `drift_*` metrics that drive alerts and retraining), and every `/query/...` needs
`Authorization: Bearer <query key>` (the store holds every feature and score). `/health` is open.
"""

from __future__ import annotations

import hmac
import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from environments.local_secrets import COLLECTOR_KEY_VARIABLE

from .envelopes import ItemError, decode_body, parse_batch
from .errors import PayloadError, QueryError, StoreError
from .query import parse_params
from .store import EnvelopeStore
from .views import INFERENCE_EVENT_NAME, inference_record, metric_value

log = logging.getLogger(__name__)

TRACK_PATHS = frozenset({"/v2.1/track", "/v2/track"})
MAX_BODY_BYTES = 16 * 1024 * 1024
"""Refused with 413 from Content-Length alone, before a byte of the body is read."""


FORBIDDEN_REASON = (
    "Forbidden - provided credentials do not grant the access to ingest the telemetry into the component"
)
"""Application Insights' answer to a caller signed in without Monitoring Metrics Publisher on the component
(https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication#troubleshooting): 403 with
this reason, the whole request refused."""


def refused_role(items: list[Any], refused_roles: frozenset[str]) -> str | None:
    """The cloud role (`ai.cloud.role`) of the batch when the collector stands in for an identity that may
    not ingest (`--refuse-role`): every process signs in as one identity and sends its own role."""
    for item in items:
        tags = item.get("tags") if isinstance(item, dict) else None
        role = tags.get("ai.cloud.role") if isinstance(tags, dict) else None
        if role in refused_roles:
            return str(role)
    return None


def track_response(received: int, accepted: int, errors: list[ItemError]) -> tuple[int, dict[str, Any]]:
    """Status and body as the service answers: 200 all kept, 206 some rejected, 400 none kept."""
    body = {"itemsReceived": received, "itemsAccepted": accepted, "errors": [e.to_json() for e in errors]}
    if not errors:
        return HTTPStatus.OK, body
    return (HTTPStatus.PARTIAL_CONTENT if accepted else HTTPStatus.BAD_REQUEST), body


class CollectorServer(ThreadingHTTPServer):
    """A threading HTTP server that owns the envelope store and the two keys it checks."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        store: EnvelopeStore,
        ikey: str,
        query_key: str,
        refused_roles: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(address, CollectorHandler)
        self.store = store
        self.ikey = ikey
        self.refused_roles = refused_roles
        self.expected_authorization = f"Bearer {query_key}".encode()


class CollectorHandler(BaseHTTPRequestHandler):
    server: CollectorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_POST(self) -> None:
        path = "/" + urlsplit(self.path).path.lstrip("/")
        # Early answers leave the body unread: close the connection so it is not parsed as a request.
        if path not in TRACK_PATHS:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route POST {path}"}, close=True)
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._send(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length is required"}, close=True)
            return
        if int(length) > MAX_BODY_BYTES:
            answer = {"error": f"body over {MAX_BODY_BYTES} bytes"}
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, answer, close=True)
            return
        body = self.rfile.read(int(length))
        try:
            items = decode_body(body, self.headers.get("Content-Encoding", ""))
        except PayloadError as exc:
            status, answer = track_response(0, 0, [ItemError(0, HTTPStatus.BAD_REQUEST, str(exc))])
            self._send(status, answer)
            return
        role = refused_role(items, self.server.refused_roles)
        if role is not None:
            log.warning("refused %d envelopes of role %s: 403 (--refuse-role)", len(items), role)
            refusal = {"itemsReceived": len(items), "itemsAccepted": 0, "errors": []}
            self._send(HTTPStatus.FORBIDDEN, refusal, reason=FORBIDDEN_REASON)
            return
        rows, errors = parse_batch(items, self.server.ikey)
        try:
            self.server.store.add(rows)
        except StoreError as exc:
            log.error("%s", exc)
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})
            return
        accepted = len(items) - len(errors)
        if errors:
            log.warning("rejected %d of %d envelopes: %s", len(errors), len(items), errors[0].message)
        self._send(*track_response(len(items), accepted, errors))

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        if url.path == "/health":
            self._send(HTTPStatus.OK, {"status": "ok"})
            return
        given = (self.headers.get("Authorization") or "").encode()
        if not hmac.compare_digest(given, self.server.expected_authorization):
            message = "missing or wrong query key: send 'Authorization: Bearer <key>'"
            self._send(
                HTTPStatus.UNAUTHORIZED, {"error": f"{message} (the key is ${COLLECTOR_KEY_VARIABLE})"}
            )
            return
        try:
            if url.path == "/query/items":
                self._send(HTTPStatus.OK, _items(self.server.store.query(parse_params(params))))
            elif url.path == "/query/count":
                self._send(HTTPStatus.OK, {"count": self.server.store.count(parse_params(params))})
            elif url.path == "/query/inferences":
                query = parse_params(params, type="event", name=INFERENCE_EVENT_NAME)
                rows = self.server.store.query(query)
                self._send(HTTPStatus.OK, _items([inference_record(row) for row in rows]))
            elif url.path == "/query/metrics":
                rows = self.server.store.query(parse_params(params, type="metric"))
                self._send(HTTPStatus.OK, _items([metric_value(row) for row in rows]))
            else:
                self._send(HTTPStatus.NOT_FOUND, {"error": f"no route GET {url.path}"})
        except QueryError as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except StoreError as exc:
            log.error("%s", exc)
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})

    def _send(
        self, status: int, payload: dict[str, Any], close: bool = False, reason: str | None = None
    ) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)


def _items(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(items), "items": items}
