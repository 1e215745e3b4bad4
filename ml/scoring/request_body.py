"""A scoring request from its raw parts to the batch's rows; every unusable request is a BadRequestError.

score.py takes the raw request (`@rawhttp`) because azmlinfsrv's own JSON parsing lets a body that is
not UTF-8 escape as an exception, which the server answers with HTTP 500 (azureml-inference-server-http
1.5.1, `server/input_parsers.py` `ObjectInput._parse_post_input` catches only `json.JSONDecodeError`).
Here each problem gets the 4xx that names it: 405 not a POST, 415 not JSON content, 413 a body or a
batch over the limit, 400 a body that is not UTF-8, not JSON or not `{"Inputs": {"data": [...]}}`.
A valid batch with bad rows is not a bad request: its rows are flagged one by one (HTTP 200).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from werkzeug.exceptions import HTTPException

from ml.scoring.errors import (
    MethodNotAllowedError,
    NotABatchError,
    NotJsonContentError,
    TooLargeError,
)
from ml.scoring.probe import probe_kind
from ml.scoring.scorer import INPUT_NAME, batch_rows
from ml.scoring.swagger_samples import INPUT_REQUEST_NAME

MAX_BATCH_ROWS = 10_000
"""Rows per request: the largest batch a Stream Analytics Azure ML function sends (batchSize 1..10000)."""

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Bytes per request body: about 1.6 kB per row of a full batch (a generated row is ~340 bytes)."""

_READ_CHUNK = 64 * 1024
_EXPECTED = f'{{"{INPUT_REQUEST_NAME}": {{"{INPUT_NAME}": [record, ...]}}}}'


@dataclass(frozen=True)
class Batch:
    """The rows of a request and its probe kind (`ml.scoring.probe`; None for real traffic)."""

    rows: Sequence[Any]
    probe: str | None = None


def check_request(method: str, is_json: bool, content_type: str | None) -> None:
    """Refuse a request that is not a JSON POST, before reading its body."""
    if method != "POST":
        raise MethodNotAllowedError(f"{method} is not allowed on the scoring route: POST a batch {_EXPECTED}")
    if not is_json:
        raise NotJsonContentError(
            f"Content-Type must be application/json, got {content_type or 'none'}: POST a batch {_EXPECTED}"
        )


def read_body(stream: BinaryIO, content_length: int | None, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, read in chunks; TooLargeError once it (or its announced length) passes `limit`.

    A body over the limit is still read to its end (and dropped) before the answer: a client still
    sending would otherwise see its connection reset instead of the 413 (in front of an Azure
    deployment, nginx refuses bodies over 100 MB by itself).
    """
    if content_length is not None and content_length > limit:
        _drain(stream, 0)
        raise TooLargeError(f"the body is {content_length} bytes, more than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := _read(stream, min(_READ_CHUNK, limit + 1 - size), size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            _drain(stream, size)
            raise TooLargeError(f"the body is more than the limit of {limit} bytes")
    return b"".join(chunks)


def _drain(stream: BinaryIO, offset: int) -> None:
    while chunk := _read(stream, _READ_CHUNK, offset):
        offset += len(chunk)


def _read(stream: BinaryIO, size: int, offset: int) -> bytes:
    try:
        return stream.read(size)
    except (OSError, HTTPException) as exc:  # werkzeug: the client went away; gunicorn: broken chunking
        raise NotABatchError(f"the body could not be read after {offset} bytes: {exc}") from None


def parse_batch(body: bytes, max_rows: int = MAX_BATCH_ROWS) -> Batch:
    """The rows and probe marker of a batch body, or the NotABatchError / TooLargeError that says what is wrong."""
    if not body.strip():
        raise NotABatchError(f"the body is empty, not JSON: POST a batch {_EXPECTED}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotABatchError(
            f"the body is not valid UTF-8: byte 0x{body[exc.start]:02x} at offset {exc.start} ({exc.reason})"
        ) from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise NotABatchError("the body is not usable JSON: it is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise NotABatchError(f"the body is not JSON: {exc}") from None
    except ValueError as exc:  # an integer longer than Python converts
        raise NotABatchError(f"the body is not usable JSON: {exc}") from None
    if not isinstance(document, dict):
        raise NotABatchError(f"the body must be a JSON object {_EXPECTED}, got {type(document).__name__}")
    if INPUT_REQUEST_NAME not in document:
        raise NotABatchError(f'the body has no "{INPUT_REQUEST_NAME}": expected {_EXPECTED}')
    rows = batch_rows(document[INPUT_REQUEST_NAME])
    if len(rows) > max_rows:
        raise TooLargeError(f"the batch has {len(rows)} rows, more than the limit of {max_rows} rows")
    return Batch(rows=rows, probe=probe_kind(document))
