"""Input events from bytes: each event that no query can read gets a reason naming field and rule."""

from __future__ import annotations

import pytest

from streaming.dead_letter import EVENT, EVENT_BASE64, RejectedEvent, original_bytes
from streaming.runtime.decoding import decode_batch, decode_event


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "event: empty payload"),
        (None, "event: empty payload"),
        (b"  \n", "event: empty payload"),
        (b"\xff\xfe{}", "event: not UTF-8 text (byte 0xff at position 0)"),
        (b'{"amount": NaN}', "event: NaN is not a JSON value"),
        (b'{"amount": Infinity}', "event: Infinity is not a JSON value"),
        (b'{"amount": 1', "event: not JSON"),
        (b"[1, 2]", "event: a JSON array, not an object"),
        (b'"text"', "event: a JSON string, not an object"),
        (b'{"amount": 1000000000000000000000000000000}', "amount: out of range"),
        (b'{"customer_age": 9223372036854775813}', "customer_age: out of range"),
        (b'{"nested": {"values": [1, -9223372036854775809]}}', "nested.values[1]: out of range"),
    ],
)
def test_unreadable_events_are_named(value: bytes | None, reason: str) -> None:
    result = decode_event(value)
    assert isinstance(result, str) and result.startswith(reason)


def test_int64_limits_and_long_digit_strings_are_read() -> None:
    assert decode_event(b'{"a": 9223372036854775807, "b": -9223372036854775808}') == {
        "a": 2**63 - 1,
        "b": -(2**63),
    }
    assert decode_event(b'{"id": "12345678901234567890123"}') == {"id": "12345678901234567890123"}


def test_a_batch_keeps_readable_events_in_order_and_names_the_others() -> None:
    values = [b'{"n": 1}', b"[2]", b'{"n": 3, "big": 99999999999999999999}', b'{"n": 4}']
    payloads, rejected = decode_batch(values)
    assert payloads == [{"n": 1}, None, None, {"n": 4}]
    assert [index for index, _ in rejected] == [1, 2]
    assert decode_batch([b'{"n": 1}', b'{"n": 2}']) == ([{"n": 1}, {"n": 2}], [])


def test_dead_letter_rows_keep_the_original_bytes() -> None:
    text = b'{"amount": 1000000000000000000000000000000}'
    row = RejectedEvent(1, 42, text, 0, "amount: out of range").record()
    assert row[EVENT] == text.decode() and original_bytes(row) == text
    binary = RejectedEvent(0, 7, b"\xff\x00", 0, "event: not UTF-8 text").record()
    assert EVENT not in binary and original_bytes(binary) == b"\xff\x00" and binary[EVENT_BASE64]
