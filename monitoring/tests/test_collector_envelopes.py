"""Body decoding and per-envelope checks of the collector (pure logic)."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from monitoring.collector import PayloadError, parse_batch
from monitoring.collector.envelopes import decode_body
from monitoring.collector.server import track_response


def envelope(**changes) -> dict:
    item = {
        "ver": 1,
        "name": "Microsoft.ApplicationInsights.Event",
        "time": "2026-11-29T10:00:00.1234567Z",
        "iKey": "k",
        "tags": {"ai.cloud.role": "score"},
        "data": {
            "baseType": "EventData",
            "baseData": {"ver": 2, "name": "inference", "properties": {"a": "1"}},
        },
    }
    item.update(changes)
    return item


def test_gzip_array_and_newline_delimited_bodies_decode_alike() -> None:
    items = [envelope(), envelope()]
    as_array = decode_body(gzip.compress(json.dumps(items).encode()), "gzip")
    as_lines = decode_body("\n".join(json.dumps(i) for i in items).encode())
    assert as_array == as_lines == items


@pytest.mark.parametrize(
    ("body", "encoding", "reason"),
    [
        (b"\x1f\x8bnot gzip", "gzip", "not valid gzip"),
        (b"[1, 2", "", "not a JSON array"),
        (b"  ", "", "empty"),
    ],
)
def test_body_that_is_not_a_batch_is_rejected(body: bytes, encoding: str, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        decode_body(body, encoding)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("just a string", "must be a JSON object"),
        (envelope(iKey=""), "'iKey' on 'envelope' is required"),
        (envelope(time="noon"), "'time' is not an ISO-8601"),
        (envelope(data={"baseData": {}}), "'baseType' on 'data'"),
        (envelope(data={"baseType": "EventData", "baseData": {"ver": 2}}), "'name' on 'data.baseData'"),
        (
            envelope(data={"baseType": "MetricData", "baseData": {"metrics": [{"name": "m", "value": "x"}]}}),
            "metrics\\[0\\].value' must be a number",
        ),
    ],
)
def test_each_bad_envelope_gets_its_index_and_reason(bad, reason: str) -> None:
    rows, errors = parse_batch([envelope(), bad, envelope()])
    assert [r.index for r in rows] == [0, 2]
    assert [(e.index, e.status_code) for e in errors] == [(1, 400)]
    assert re.search(reason, errors[0].message)


def test_metric_envelope_gives_one_row_per_metric_and_seven_digit_fractions_parse() -> None:
    metric = envelope(
        data={
            "baseType": "MetricData",
            "baseData": {
                "metrics": [{"name": "a", "value": 1.0, "count": 2}, {"name": "b", "value": 3}],
                "properties": {"feature": "amount"},
            },
        }
    )
    rows, errors = parse_batch([metric])
    assert errors == []
    assert [(r.type, r.name, r.value, r.count) for r in rows] == [
        ("metric", "a", 1.0, 2),
        ("metric", "b", 3.0, 1),
    ]
    assert rows[0].time_us % 1_000_000 == 123456


def test_answer_codes_follow_the_service() -> None:
    _rows, errors = parse_batch([envelope(), "x"])
    assert track_response(2, 1, errors)[0] == 206
    assert track_response(1, 1, [])[0] == 200
    assert track_response(1, 0, parse_batch(["x"])[1])[0] == 400
