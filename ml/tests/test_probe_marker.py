"""Probe traffic is marked in the body and read back by the request parser (ml.scoring.probe)."""

from __future__ import annotations

import json

import pytest

from ml.scoring.errors import NotABatchError
from ml.scoring.probe import PROBE_KEY, SMOKE_PROBE, mark_probe
from ml.scoring.request_body import parse_batch
from ml.serving.smoke import smoke_batch


def _body(document: dict) -> bytes:
    return json.dumps(document).encode()


def test_a_stream_analytics_batch_is_real_traffic():
    batch = parse_batch(_body({"Inputs": {"data": [{"a": 1}]}}))
    assert batch.probe is None and list(batch.rows) == [{"a": 1}]


def test_the_smoke_batch_is_marked_and_parsed_as_a_smoke_probe(local_environment):
    smoke = smoke_batch(local_environment.data_schema(), 4)
    assert smoke.body[PROBE_KEY] == SMOKE_PROBE
    batch = parse_batch(_body(smoke.body))
    assert batch.probe == SMOKE_PROBE and len(batch.rows) == 4


@pytest.mark.parametrize("marker", [True, "", "Smoke", "x" * 40, {"kind": "smoke"}, None])
def test_a_malformed_marker_is_a_bad_request_naming_the_key(marker):
    with pytest.raises(NotABatchError, match=PROBE_KEY):
        parse_batch(_body({"Inputs": {"data": []}, PROBE_KEY: marker}))


def test_mark_probe_refuses_a_kind_the_parser_would_refuse():
    with pytest.raises(ValueError, match="probe kind"):
        mark_probe({"Inputs": {"data": []}}, "Smoke Test")
