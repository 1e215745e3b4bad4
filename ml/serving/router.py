"""The local endpoint's stable URL: key auth in front of the deployments named in the routing table.

`python -m ml.serving.router --routes FILE --port N --key-env VAR` serves on 127.0.0.1 until stopped.
Like a managed online endpoint it checks `Authorization: Bearer <key>`, splits traffic by the table,
honours the `azureml-model-deployment` header and names the deployment that answered in the same
header. The table is re-read whenever its file changes; a request whose deployment went away before
it connected (a rollout just removed it) is retried once on the current table, so swaps lose nothing.

Routes: `/score`, `/swagger.json` and everything else go to a deployment (key needed);
`GET /-/health` (no key) says whether any deployment takes traffic; `GET /-/routes` (key) gives the
loaded generation, in-flight requests per deployment, which the rollout waits on before stopping one, and
`mirror_pending`, mirrored copies queued or in flight, which a traffic change waits on (`traffic_history`);
`GET /-/metrics?since=<unix time>` (key) what each deployment answered since then (`request_log`).

Mirrored traffic: when the table mirrors a share of requests to a deployment, a copy of that share of
live `POST /score` requests (not those naming a deployment) goes to it from a small pool of threads
after the live answer is sent; its answer is measured and discarded. Copies beyond
`MIRROR_IN_FLIGHT` waiting are dropped and counted (`mirror_dropped`), never delaying live traffic.
"""

from __future__ import annotations

import argparse
import hmac
import http.client
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ml.scoring.request_body import MAX_BODY_BYTES
from ml.serving.request_log import RequestLog
from ml.serving.routes import DEPLOYMENT_HEADER, Routes, load_routes

logger = logging.getLogger("ml.serving.router")

# A request body over score.py's limit (MAX_BODY_BYTES, ml/scoring/request_body.py) is refused with 413
# from its Content-Length, before any of it is read, with the same wording as score.py.

# The Authorization header is forwarded (to mirrored copies too): deployments check the same key (their
# own ports are not a way around the router's check).
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}
SCORE_PATH = "/score"
RUN_TIME_HEADER = "x-ms-run-fn-exec-ms"
MIRROR_THREADS = 4
MIRROR_IN_FLIGHT = 64


class RoutingTable:
    """The routing table file, re-read when it changes, with in-flight counts per deployment."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._routes = Routes()
        self.in_flight: dict[str, int] = {}
        self.log = RequestLog()
        self._mirror_pool = ThreadPoolExecutor(MIRROR_THREADS, thread_name_prefix="mirror")
        self._mirror_waiting = threading.BoundedSemaphore(MIRROR_IN_FLIGHT)
        self.mirror_pending = 0
        """Mirrored copies queued or in flight (a traffic change waits for none before it is recorded)."""

    def current(self) -> Routes:
        with self._lock:
            return self._current_locked()

    def _current_locked(self) -> Routes:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._routes = load_routes(self.path)
            self._stamp = stamp
        return self._routes

    def enter(self, name: str) -> None:
        with self._lock:
            self.in_flight[name] = self.in_flight.get(name, 0) + 1

    def leave(self, name: str) -> None:
        with self._lock:
            self.in_flight[name] -= 1

    def mirror(self, live: str, send: Callable[[str, int], None]) -> None:
        """Send a copy of a request `live` answered to the deployment the current table mirrors to, if any:
        `send(target, port)` on the pool, or counted dropped when too many are waiting. The decision and
        `mirror_pending` change under the table's lock, so once the router has loaded a table without
        mirroring, `mirror_pending` counts every copy still to be scored."""
        with self._lock:
            routes = self._current_locked()
            target = routes.mirror_to(live)
            if target is None:
                return
            if not self._mirror_waiting.acquire(blocking=False):
                self.log.dropped()
                return
            self.mirror_pending += 1
            port = routes.deployments[target].port

        def run() -> None:
            try:
                send(target, port)
            finally:
                with self._lock:
                    self.mirror_pending -= 1
                self._mirror_waiting.release()

        self._mirror_pool.submit(run)


class _Upstreams(threading.local):
    """Keep-alive connections to the deployments, one set per router thread."""

    def __init__(self) -> None:
        self.connections: dict[int, http.client.HTTPConnection] = {}

    def get(self, port: int, timeout_s: float) -> http.client.HTTPConnection:
        if port not in self.connections:
            self.connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
        return self.connections[port]

    def drop(self, port: int) -> None:
        connection = self.connections.pop(port, None)
        if connection is not None:
            connection.close()


def make_handler(table: RoutingTable, key: str, timeout_s: float) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to one routing table and key."""
    expected = f"Bearer {key}".encode()
    upstreams = _Upstreams()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "streamscore-endpoint"

        def log_message(self, format: str, *args: object) -> None:
            logger.debug("%s " + format, self.address_string(), *args)

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _reply(self, status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            given = (self.headers.get("Authorization") or "").encode()
            return hmac.compare_digest(given, expected)

        def _refuse(self, status: int, message: str) -> None:
            """Answer without reading the body, and close: the unread body must not be parsed as a request."""
            self.close_connection = True
            self._reply(status, {"message": message}, {"Connection": "close"})

        def _body(self) -> bytes | None:
            """The request body, or None once a 4xx says why it cannot be read (connection closed)."""
            if self.headers.get("Transfer-Encoding"):
                self._refuse(411, "send the body with a Content-Length (no chunked transfer)")
                return None
            given = self.headers.get("Content-Length") or "0"
            if not given.isdigit():
                self._refuse(400, f"Content-Length must be a whole number of bytes, got {given[:40]!r}")
                return None
            if int(given) > MAX_BODY_BYTES:
                self._refuse(413, f"the body is {given} bytes, more than the limit of {MAX_BODY_BYTES} bytes")
                return None
            if self.command == "POST" and "Content-Length" not in self.headers:
                self._refuse(411, "Content-Length is required")
                return None
            length = int(given)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            body = self._body()
            if body is None:
                return
            if self.path == "/-/health":
                routes = table.current()
                serving = routes.serving()
                self._reply(200 if serving else 503, {"serving": serving, "generation": routes.generation})
                return
            if not self._authorized():
                self._reply(401, {"message": "missing or wrong key: send 'Authorization: Bearer <key>'"})
                return
            if self.path == "/-/routes":
                routes = table.current()
                state = {"in_flight": dict(table.in_flight), "mirror_pending": table.mirror_pending}
                self._reply(200, {**routes.to_json(), **state})
                return
            if urlsplit(self.path).path == "/-/metrics":
                since = parse_qs(urlsplit(self.path).query).get("since", ["0"])[0]
                try:
                    self._reply(200, table.log.window(float(since)))
                except ValueError:
                    self._reply(400, {"message": f"since={since!r} is not a unix time"})
                return
            self._forward(body)

        def _call(
            self, name: str, port: int, request: tuple[str, str, bytes, dict[str, str]], mirrored: bool
        ) -> tuple[int, list[tuple[str, str]], bytes]:
            """One request (method, path, body, headers) to one deployment; scoring requests are measured."""
            method, path, body, headers = request
            scoring = urlsplit(path).path == SCORE_PATH
            table.enter(name)
            started = time.perf_counter()
            try:
                connection = upstreams.get(port, timeout_s)
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                upstreams.drop(port)
                if scoring and mirrored:
                    table.log.record(name, 502, (time.perf_counter() - started) * 1000.0, mirrored)
                raise
            finally:
                table.leave(name)
            if scoring:
                latency_ms = _run_ms(response) or (time.perf_counter() - started) * 1000.0
                table.log.record(name, response.status, latency_ms, mirrored)
            return response.status, response.getheaders(), data

        def _mirror(self, live: str, body: bytes, headers: dict[str, str]) -> None:
            if self.command != "POST" or urlsplit(self.path).path != SCORE_PATH:
                return
            request = (self.command, self.path, body, headers)  # the handler moves on to its next request

            def send(target: str, port: int) -> None:
                try:
                    self._call(target, port, request, mirrored=True)
                except (ConnectionError, http.client.HTTPException, OSError) as exc:
                    logger.info("mirrored request to %s got no answer: %s", target, exc)

            table.mirror(live, send)

        def _forward(self, body: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            requested = self.headers.get(DEPLOYMENT_HEADER)
            for attempt in (1, 2):
                routes = table.current()
                name = routes.choose(requested)
                if name is None:
                    what = (
                        f"no deployment named {requested!r}" if requested else "no deployment takes traffic"
                    )
                    self._reply(503, {"message": what})
                    return
                port = routes.deployments[name].port
                try:
                    request = (self.command, self.path, body, headers)
                    status, response_headers, data = self._call(name, port, request, mirrored=False)
                except (ConnectionError, http.client.HTTPException, OSError) as exc:
                    if attempt == 2:
                        logger.warning("deployment %s on port %d failed: %s", name, port, exc)
                        if urlsplit(self.path).path == SCORE_PATH:
                            table.log.record(name, 502, 0.0, mirrored=False)
                        self._reply(502, {"message": f"deployment {name} did not answer: {exc}"})
                        return
                    continue  # the table may have moved on: a removed deployment refuses connections
                self.send_response(status)
                for header, value in response_headers:
                    if header.lower() not in _HOP_BY_HOP and header.lower() != "content-length":
                        self.send_header(header, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header(DEPLOYMENT_HEADER, name)
                self.end_headers()
                self.wfile.write(data)
                if not requested:
                    self._mirror(name, body, headers)
                return

    return Handler


def _run_ms(response: http.client.HTTPResponse) -> float | None:
    """How long the deployment took, as azmlinfsrv reports it (`RUN_TIME_HEADER`), if it did.

    The deployment's own time is what Azure Monitor's per-deployment request latency measures; the
    router's round trip adds its own thread scheduling, which on a busy machine swamps the difference
    between two deployments."""
    try:
        return float(response.getheader(RUN_TIME_HEADER) or "")
    except ValueError:
        return None


def serve(routes_path: Path, port: int, key: str, timeout_s: float) -> None:
    """Serve on 127.0.0.1:`port` until interrupted."""
    table = RoutingTable(routes_path)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(table, key, timeout_s))
    server.daemon_threads = True
    logger.info("local endpoint on http://127.0.0.1:%d (routes %s)", port, routes_path)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.serving.router", description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=Path, required=True, help="routing table file (JSON)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key-env", required=True, help="environment variable holding the endpoint key")
    parser.add_argument("--timeout-s", type=float, default=30.0, help="per-request upstream timeout")
    args = parser.parse_args(argv)
    key = os.environ.get(args.key_env)
    if not key:
        print(f"the endpoint key is missing: set {args.key_env}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(args.routes, args.port, key, args.timeout_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
