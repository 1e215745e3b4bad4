"""Azure ML function calls, batched like the service, through a one-method transport seam.

Each `udf.<name>(record)` call site sends its rows in batches of `batch_size` as
`{"<inputRequestName>": {"<input name>": [record, ...]}}`, up to `parallel_requests` batches at once, and
reads `{"<outputResponseName>": [result, ...]}`, one result per row in order. 503, 429, other 5xx,
timeouts and refused connections are retried with exponential back-off (forever unless `give_up_after_s`
is set, as the service blocks the job); 400, 401, 403, 404, 409 and any other answer fail the job with
`FunctionCallError`, as does a reply whose length differs from the batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import orjson

from streaming.engine.errors import FunctionCallError

RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FunctionBinding:
    """One `Microsoft.MachineLearningServices` function: endpoint, key and batching settings."""

    name: str
    endpoint: str
    api_key: str | None = field(default=None, repr=False)
    input_request_name: str = "Inputs"
    input_name: str = "data"
    output_response_name: str = "Results"
    batch_size: int = 1000
    parallel_requests: int = 1


@dataclass(frozen=True)
class FunctionRequest:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class FunctionResponse:
    status_code: int
    body: bytes


class TransientTransportError(Exception):
    """The endpoint could not be reached (refused, reset, timed out): worth retrying."""


class Transport(Protocol):
    """Sends one request; raises `TransientTransportError` when the endpoint cannot be reached."""

    def send(self, request: FunctionRequest) -> FunctionResponse: ...


class HttpTransport:
    """The real transport: POST with httpx (one pooled client, safe across threads)."""

    def __init__(self, timeout_s: float = 100.0, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(timeout=timeout_s)

    def send(self, request: FunctionRequest) -> FunctionResponse:
        try:
            response = self.client.post(request.url, content=request.body, headers=request.headers)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise TransientTransportError(f"{request.url}: {type(exc).__name__}: {exc}") from exc
        return FunctionResponse(response.status_code, response.content)

    def close(self) -> None:
        self.client.close()


@dataclass
class CallCounters:
    requests: int = 0
    rows: int = 0
    retries: int = 0


class FunctionCaller:
    """Calls one bound function for a list of argument records, returning one result per record."""

    def __init__(
        self,
        binding: FunctionBinding,
        transport: Transport,
        sleep: Callable[[float], None] = time.sleep,
        first_backoff_s: float = 0.1,
        max_backoff_s: float = 30.0,
        give_up_after_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.binding = binding
        self.transport = transport
        self.sleep = sleep
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s
        self.give_up_after_s = give_up_after_s
        self.clock = clock
        self.counters = CallCounters()
        headers = {"Content-Type": "application/json"}
        if binding.api_key:
            headers["Authorization"] = f"Bearer {binding.api_key}"
        self.headers = headers
        request_name, input_name = orjson.dumps(binding.input_request_name), orjson.dumps(binding.input_name)
        self._body_start = b"{" + request_name + b":{" + input_name + b":["
        """`{"Inputs":{"data":[` for the usual names: the records follow, then `]}}`."""
        self._pool: ThreadPoolExecutor | None = None

    def __call__(self, records: Sequence[bytes]) -> list[Any]:
        """Results for `records`, each already encoded as JSON (one per row, in order)."""
        size = self.binding.batch_size
        batches = [records[i : i + size] for i in range(0, len(records), size)]
        if len(batches) <= 1 or self.binding.parallel_requests == 1:
            results = [self.call_batch(batch) for batch in batches]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.binding.parallel_requests, thread_name_prefix="udf")
            results = list(self._pool.map(self.call_batch, batches))
        return [value for batch in results for value in batch]

    def call_batch(self, records: Sequence[bytes]) -> list[Any]:
        binding = self.binding
        body = b"".join((self._body_start, b",".join(records), b"]}}"))
        request = FunctionRequest(binding.endpoint, self.headers, body)
        response = self._send_with_retries(request)
        try:
            reply = orjson.loads(response.body)
            results = reply[binding.output_response_name] if isinstance(reply, dict) else reply
            if isinstance(results, dict) and len(results) == 1:
                results = next(iter(results.values()))  # designer endpoints: {"Results": {"<output>": [...]}}
        except (orjson.JSONDecodeError, KeyError) as exc:
            raise FunctionCallError(
                binding.name,
                f"reply is not JSON with key {binding.output_response_name!r}: {response.body[:200]!r}",
            ) from exc
        if not isinstance(results, list) or len(results) != len(records):
            count = len(results) if isinstance(results, list) else type(results).__name__
            raise FunctionCallError(
                binding.name, f"reply has {count} results for a batch of {len(records)} rows"
            )
        self.counters.requests += 1
        self.counters.rows += len(records)
        return results

    def _send_with_retries(self, request: FunctionRequest) -> FunctionResponse:
        delay = self.first_backoff_s
        started = self.clock()
        while True:
            try:
                response = self.transport.send(request)
                problem = f"HTTP {response.status_code}"
                if response.status_code == 200:
                    return response
                if response.status_code not in RETRIED_STATUSES:
                    raise FunctionCallError(
                        self.binding.name,
                        f"{request.url} answered {problem}: {response.body[:300]!r}",
                        response.status_code,
                    )
            except TransientTransportError as exc:
                problem = str(exc)
            if self.give_up_after_s is not None and self.clock() - started >= self.give_up_after_s:
                raise FunctionCallError(
                    self.binding.name, f"gave up after {self.give_up_after_s} s: {problem}"
                )
            self.counters.retries += 1
            self.sleep(delay)
            delay = min(delay * 2, self.max_backoff_s)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
