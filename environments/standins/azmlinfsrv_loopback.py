"""Run azmlinfsrv (azureml-inference-server-http) bound to 127.0.0.1 instead of its fixed 0.0.0.0.

Started as a script with `python -P`, so nothing from the repository is on `sys.path` before the
deployment's code folder (`AML_APP_ROOT`), which goes first: score.py then imports the staged `ml/`
and `monitoring/` exactly as in an Azure ML deployment. Arguments are azmlinfsrv's own.

With `AZMLINFSRV_KEY` set, every route but the liveness probe (`GET /`) needs
`Authorization: Bearer <key>` (401 otherwise), so a deployment's own port is no way around the
endpoint's key check; the variable is removed from the environment before score.py is loaded.
"""

import hmac
import json
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

LOOPBACK = "127.0.0.1"
KEY_VARIABLE = "AZMLINFSRV_KEY"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class KeyCheck:
    """WSGI middleware: the bearer key on every request except the liveness probe."""

    def __init__(self, app: WsgiApp, key: str) -> None:
        self.app = app
        self.expected = f"Bearer {key}".encode()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") in ("", "/"):
            return self.app(environ, start_response)
        given = environ.get("HTTP_AUTHORIZATION", "").encode()
        if hmac.compare_digest(given, self.expected):
            return self.app(environ, start_response)
        body = json.dumps({"message": "missing or wrong key: send 'Authorization: Bearer <key>'"}).encode()
        start_response(
            "401 Unauthorized", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]


def _require_key(key: str) -> None:
    """Wrap the app gunicorn loads in each worker (workers fork from this process, patch included)."""
    import gunicorn.app.wsgiapp

    load = gunicorn.app.wsgiapp.WSGIApplication.load_wsgiapp

    def load_keyed(self: Any) -> KeyCheck:
        return KeyCheck(load(self), key)

    gunicorn.app.wsgiapp.WSGIApplication.load_wsgiapp = load_keyed


def main() -> None:
    app_root = os.environ.get("AML_APP_ROOT")
    if not app_root:
        sys.exit("AML_APP_ROOT must name the deployment's code folder")
    sys.path.insert(0, app_root)
    key = os.environ.pop(KEY_VARIABLE, "")
    if key:
        _require_key(key)
    from azureml_inference_server_http import amlserver

    amlserver.DEFAULT_HOST = LOOPBACK  # amlserver.run() passes this module global to gunicorn's bind
    amlserver.run()


if __name__ == "__main__":
    main()
