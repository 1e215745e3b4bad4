"""Malformed requests to the local endpoint (router + azmlinfsrv serving score.py, the server Azure runs).

Every one gets a 4xx whose message names the problem, never a 5xx: bodies that are not UTF-8, not
JSON, not a batch, batches over the row limit and bodies over the byte limit, generated from a seed.
A valid batch with bad rows is not malformed: it stays 200 with the rows flagged.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest

from ml.scoring.request_body import MAX_BATCH_ROWS, MAX_BODY_BYTES
from ml.serving.batches import request_body, stream_batch
from ml.serving.local_endpoint import LocalEndpoint
from ml.testing import bad_rows, rolled_out_endpoint

pytestmark = pytest.mark.services  # the local endpoint: router and azmlinfsrv deployments

SEED = 15
# kind -> (how many bodies, the status, words the message must contain)
KINDS: dict[str, tuple[int, int, tuple[str, ...]]] = {
    "not_utf8": (60, 400, ("not valid UTF-8", "offset")),
    "not_json": (60, 400, ("JSON",)),
    "not_a_batch": (60, 400, ("Inputs",)),
    "too_many_rows": (10, 413, (f"limit of {MAX_BATCH_ROWS} rows",)),
    "too_many_bytes": (10, 413, (f"limit of {MAX_BODY_BYTES} bytes",)),
}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory, local_environment, scoring_model_dir) -> Iterator[LocalEndpoint]:
    state = tmp_path_factory.mktemp("malformed")
    with rolled_out_endpoint(local_environment, state / "ml", scoring_model_dir) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def valid_body(local_environment) -> bytes:
    return json.dumps(request_body(stream_batch(local_environment.data_schema(), 20, seed=SEED))).encode()


_INVALID_UTF8 = (
    b"\xff",
    b"\xfe",
    b"\x80",
    b"\xc3\x28",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf8\x88\x80\x80\x80",
)


def _not_utf8(rng: random.Random, valid: bytes) -> bytes:
    """A valid batch with invalid UTF-8 bytes spliced in (or cut inside a multi-byte character)."""
    if rng.random() < 0.15:
        return valid[: rng.randrange(1, len(valid))] + "€".encode()[:2]
    body = bytearray(valid)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(body) + 1)
        body[at:at] = rng.choice(_INVALID_UTF8)
    return bytes(body)


def _not_json(rng: random.Random, valid: bytes) -> bytes:
    text = valid.decode()
    choices: list[Callable[[], str]] = [
        lambda: text[: rng.randrange(1, len(text) - 1)],  # cut short
        lambda: text + rng.choice(["x", "}", ",", " {}", "]"]),  # trailing garbage
        lambda: text.replace('"', "'"),  # Python repr, not JSON
        lambda: "".join(rng.choice("{}[]:,\"' abcé€0123456789\n\t") for _ in range(rng.randint(1, 200))),
        lambda: rng.choice(["", " ", "\n\t ", "\ufeff" + text, "undefined", "{Inputs: {data: []}}"]),
        lambda: "[" * rng.randint(20_000, 60_000),  # deeper than the parser recurses
        lambda: '{"Inputs": {"data": [{"amount": ' + "9" * rng.randint(5_000, 9_000) + "}]}}",
    ]
    body = rng.choice(choices)()
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return body.encode()
    return b"{" + body.encode()  # the random text happened to be JSON


def _not_a_batch(rng: random.Random, valid: bytes) -> bytes:
    rows = json.loads(valid)["Inputs"]["data"]
    documents = [
        rows,
        rng.randint(-5, 5),
        "Inputs",
        None,
        True,
        {},
        {"inputs": {"data": rows}},
        {"Input": {"data": rows}},
        {"Inputs": rows},
        {"Inputs": None},
        {"Inputs": rng.randint(0, 9)},
        {"Inputs": {"Data": rows}},
        {"Inputs": {"rows": rows}},
        {"Inputs": {"data": rows[0]}},
        {"Inputs": {"data": "rows"}},
        {"Inputs": {"data": None}},
        {"GlobalParameters": {}, "data": rows},
    ]
    return json.dumps(rng.choice(documents)).encode()


def _too_many_rows(rng: random.Random, valid: bytes) -> bytes:
    row = rng.choice([{}, json.loads(valid)["Inputs"]["data"][0], 1, None])
    return json.dumps(request_body([row] * (MAX_BATCH_ROWS + rng.randint(1, 500)))).encode()


def _too_many_bytes(rng: random.Random, valid: bytes) -> bytes:
    over = MAX_BODY_BYTES + rng.randint(1, 64 * 1024)
    if rng.random() < 0.5:
        return valid[:-2] + b" " * (over - len(valid)) + valid[-2:]  # a valid batch, padded
    return rng.randbytes(over)


GENERATORS = {
    "not_utf8": _not_utf8,
    "not_json": _not_json,
    "not_a_batch": _not_a_batch,
    "too_many_rows": _too_many_rows,
    "too_many_bytes": _too_many_bytes,
}


@pytest.mark.faults
def test_every_malformed_body_gets_a_4xx_naming_the_problem(endpoint, valid_body):
    rng = random.Random(SEED)
    headers = {**endpoint.headers(), "Content-Type": "application/json"}
    statuses: Counter[int] = Counter()
    wrong = []
    with httpx.Client(base_url=endpoint.url, headers=headers, timeout=60) as client:
        for kind, (count, status, words) in KINDS.items():
            for _ in range(count):
                body = GENERATORS[kind](rng, valid_body)
                answer = client.post("/score", content=body)
                statuses[answer.status_code] += 1
                message = answer.json().get("message", "") if answer.status_code != 200 else ""
                if answer.status_code != status or not all(word in message for word in words):
                    wrong.append((kind, answer.status_code, message[:200], body[:80]))
    assert sum(statuses.values()) >= 200
    assert not [s for s in statuses if s >= 500], statuses
    assert not wrong, sorted({(kind, status, message) for kind, status, message, _ in wrong})


@pytest.mark.parametrize(
    ("method", "content_type", "status", "word"),
    [("GET", "application/json", 405, "POST"), ("POST", "text/plain", 415, "Content-Type")],
)
def test_not_a_json_post_is_refused_by_name(endpoint, valid_body, method, content_type, status, word):
    headers = {**endpoint.headers(), "Content-Type": content_type}
    answer = httpx.request(method, f"{endpoint.url}/score", content=valid_body, headers=headers, timeout=30)
    assert answer.status_code == status
    assert word in answer.json()["message"]


def test_a_batch_with_bad_rows_is_still_scored_after_the_garbage(endpoint, local_environment):
    schema = local_environment.data_schema()
    good = stream_batch(schema, 3, seed=SEED)
    broken = bad_rows(schema, good[0])
    rows = [good[1], broken["nan"][0], good[2], broken["unknown_category"][0]]
    headers = {**endpoint.headers(), "Content-Type": "application/json"}
    answer = httpx.post(
        f"{endpoint.url}/score", content=json.dumps(request_body(rows)), headers=headers, timeout=30
    )
    assert answer.status_code == 200
    results = answer.json()["Results"]
    assert [r["score"] is None for r in results] == [False, True, False, True]
    assert results[1]["error"].startswith(broken["nan"][1]) and results[3]["error"].startswith(
        broken["unknown_category"][1]
    )
